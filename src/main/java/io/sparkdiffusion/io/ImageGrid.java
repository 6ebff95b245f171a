package io.sparkdiffusion.io;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Tiles equally sized CHW images into one CHW image: {@code rows x cols} cells, row-major, with {@code gap}
 * pixels of background between cells and around the border.
 *
 * <p>Output shape: {@code [C, rows * H + (rows + 1) * gap, cols * W + (cols + 1) * gap]}. Cell (r, c) starts at
 * row {@code gap + r * (H + gap)}, column {@code gap + c * (W + gap)}.
 */
public final class ImageGrid {
    /** The gap used by the CLI's pictures, in pixels. */
    public static final int DEFAULT_GAP = 2;
    /** White in [-1, 1]: Fashion-MNIST objects are light on black, so a white gap separates cells. */
    public static final float DEFAULT_BACKGROUND = 1f;

    private ImageGrid() {
    }

    /**
     * Lays {@code images} out row-major, {@code cols} per row, as many rows as needed; cells past the last
     * image stay background.
     */
    public static Tensor of(List<Tensor> images, int cols, int gap, float background) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("an image grid needs at least one image");
        }
        if (cols < 1) {
            throw new IllegalArgumentException("cols must be >= 1, got " + cols);
        }
        int rows = (images.size() + cols - 1) / cols;
        List<List<Tensor>> grid = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            grid.add(images.subList(r * cols, Math.min(images.size(), (r + 1) * cols)));
        }
        return ofRows(grid, cols, gap, background);
    }

    /**
     * One row per label {@code 0 .. numClasses - 1}, holding that label's images in the order given; the grid
     * is as wide as the largest class, and a short row ends in background.
     *
     * @param labels one label per image, each in {@code [0, numClasses)}
     */
    public static Tensor byLabel(List<Tensor> images, int[] labels, int numClasses, int gap, float background) {
        if (labels.length != images.size()) {
            throw new IllegalArgumentException("byLabel needs one label per image: " + images.size() + " images, "
                    + labels.length + " labels");
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
        }
        List<List<Tensor>> rows = new ArrayList<>();
        for (int k = 0; k < numClasses; k++) {
            rows.add(new ArrayList<>());
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label of image " + i + " is " + labels[i] + ", expected 0.."
                        + (numClasses - 1));
            }
            rows.get(labels[i]).add(images.get(i));
        }
        int cols = rows.stream().mapToInt(List::size).max().orElse(0);
        if (cols == 0) {
            throw new IllegalArgumentException("an image grid needs at least one image");
        }
        return ofRows(rows, cols, gap, background);
    }

    private static Tensor ofRows(List<List<Tensor>> rows, int cols, int gap, float background) {
        if (gap < 0) {
            throw new IllegalArgumentException("gap must be >= 0, got " + gap);
        }
        Shape cell = null;
        for (List<Tensor> row : rows) {
            for (Tensor image : row) {
                if (cell == null) {
                    cell = image.shape();
                    if (cell.rank() != 3) {
                        throw new IllegalArgumentException("grid images must be [C, H, W], got " + cell);
                    }
                }
                image.shape().require(cell, "every grid image must have the shape of the first");
            }
        }
        int channels = cell.dim(0);
        int height = cell.dim(1);
        int width = cell.dim(2);
        int gridHeight = rows.size() * height + (rows.size() + 1) * gap;
        int gridWidth = cols * width + (cols + 1) * gap;
        Tensor grid = Tensor.zeros(channels, gridHeight, gridWidth);
        grid.fillInPlace(background);
        for (int r = 0; r < rows.size(); r++) {
            List<Tensor> row = rows.get(r);
            for (int c = 0; c < row.size(); c++) {
                paste(row.get(c), grid, gap + r * (height + gap), gap + c * (width + gap));
            }
        }
        return grid;
    }

    private static void paste(Tensor image, Tensor grid, int top, int left) {
        int channels = image.shape().dim(0);
        int height = image.shape().dim(1);
        int width = image.shape().dim(2);
        int gridHeight = grid.shape().dim(1);
        int gridWidth = grid.shape().dim(2);
        for (int ch = 0; ch < channels; ch++) {
            for (int y = 0; y < height; y++) {
                System.arraycopy(image.data(), image.offset() + (ch * height + y) * width,
                        grid.data(), grid.offset() + (ch * gridHeight + top + y) * gridWidth + left, width);
            }
        }
    }
}
