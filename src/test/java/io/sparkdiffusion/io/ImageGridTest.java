package io.sparkdiffusion.io;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ImageGridTest {
    private static final float BG = 9f;

    private static Tensor filled(float v) {
        Tensor t = Tensor.zeros(1, 2, 2);
        t.fillInPlace(v);
        return t;
    }

    private static float at(Tensor grid, int y, int x) {
        return grid.get(y * grid.shape().dim(2) + x);
    }

    @Test
    void placesCellsWithGapsAndBorder() {
        Tensor a = new Tensor(new float[]{1, 2, 3, 4}, Shape.of(1, 2, 2));
        Tensor b = filled(5);
        Tensor grid = ImageGrid.of(List.of(a, b), 2, 1, BG);
        // rows: 1*2 + 2*1 = 4; cols: 2*2 + 3*1 = 7
        assertEquals(Shape.of(1, 4, 7), grid.shape());
        float[][] expected = {
                {BG, BG, BG, BG, BG, BG, BG},
                {BG, 1, 2, BG, 5, 5, BG},
                {BG, 3, 4, BG, 5, 5, BG},
                {BG, BG, BG, BG, BG, BG, BG}};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 7; x++) {
                assertEquals(expected[y][x], at(grid, y, x), "(" + y + ", " + x + ")");
            }
        }
    }

    @Test
    void lastRowEndsInBackground() {
        Tensor grid = ImageGrid.of(List.of(filled(1), filled(2), filled(3)), 2, 0, BG);
        assertEquals(Shape.of(1, 4, 4), grid.shape());
        assertEquals(3f, at(grid, 2, 0));
        assertEquals(BG, at(grid, 2, 2));
        assertEquals(BG, at(grid, 3, 3));
    }

    @Test
    void byLabelPutsEachClassOnItsRow() {
        Tensor grid = ImageGrid.byLabel(List.of(filled(1), filled(2), filled(3)), new int[]{1, 0, 1}, 2, 0, BG);
        assertEquals(Shape.of(1, 4, 4), grid.shape());
        assertEquals(2f, at(grid, 0, 0)); // class 0: image 1
        assertEquals(BG, at(grid, 0, 2)); // class 0 has one image
        assertEquals(1f, at(grid, 2, 0)); // class 1: images 0 then 2
        assertEquals(3f, at(grid, 2, 2));
    }

    @Test
    void threeChannelsKeepTheirPlanes() {
        Tensor rgb = new Tensor(new float[]{1, 2, 3}, Shape.of(3, 1, 1));
        Tensor grid = ImageGrid.of(List.of(rgb), 1, 1, BG);
        assertEquals(Shape.of(3, 3, 3), grid.shape());
        assertEquals(1f, grid.get(4));
        assertEquals(2f, grid.get(9 + 4));
        assertEquals(3f, grid.get(18 + 4));
    }

    @Test
    void rejectsMixedShapesAndBadLabels() {
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.of(List.of(filled(1), Tensor.zeros(1, 3, 3)), 2, 1, BG));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.byLabel(List.of(filled(1)), new int[]{4}, 2, 1, BG));
        assertEquals("label of image 0 is 4, expected 0..1", e.getMessage());
    }
}
