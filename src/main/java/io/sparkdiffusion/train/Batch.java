package io.sparkdiffusion.train;

/**
 * One minibatch of clean training images.
 *
 * @param images    {@code [size, imageSize]} CHW images in [-1, 1], one after another
 * @param labels    {@code [size]} class labels, or {@code null} for unlabelled data; {@code -1} means "no label"
 * @param imageSize floats per image, {@code C * H * W}
 */
public record Batch(float[] images, int[] labels, int imageSize) {

    public Batch {
        if (imageSize <= 0 || images.length % imageSize != 0 || images.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one image of " + imageSize + " floats, got "
                    + images.length + " floats");
        }
        if (labels != null && labels.length != images.length / imageSize) {
            throw new IllegalArgumentException("labels holds " + labels.length + " entries for "
                    + images.length / imageSize + " images");
        }
    }

    /** The number of images. */
    public int size() {
        return images.length / imageSize;
    }
}
