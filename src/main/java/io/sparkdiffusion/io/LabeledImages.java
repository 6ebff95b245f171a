package io.sparkdiffusion.io;

import java.io.IOException;
import java.util.Arrays;

/**
 * Images {@code [N, H, W]} with one label each {@code [N]}, as read from a pair of IDX files.
 *
 * @param images rank-3 unsigned bytes
 * @param labels rank-1 unsigned bytes, as many as images
 */
public record LabeledImages(IdxArray images, IdxArray labels) {

    public LabeledImages {
        if (images.dims().length != 3) {
            throw new IllegalArgumentException("images must be an IDX array [N, H, W], got dims " + Arrays.toString(images.dims()));
        }
        if (labels.dims().length != 1) {
            throw new IllegalArgumentException("labels must be an IDX array [N], got dims " + Arrays.toString(labels.dims()));
        }
        if (images.count() != labels.count()) {
            throw new IllegalArgumentException("images and labels differ in count: " + images.count() + " images, "
                    + labels.count() + " labels");
        }
    }

    static LabeledImages of(IdxArray images, String imagesName, IdxArray labels, String labelsName) throws IOException {
        if (images.dims().length != 3) {
            throw new IOException(imagesName + ": expected an image file with dims [N, H, W], got "
                    + Arrays.toString(images.dims()));
        }
        if (labels.dims().length != 1) {
            throw new IOException(labelsName + ": expected a label file with dims [N], got " + Arrays.toString(labels.dims()));
        }
        if (images.count() != labels.count()) {
            throw new IOException("dims mismatch: " + imagesName + " holds " + images.count() + " images but "
                    + labelsName + " holds " + labels.count() + " labels");
        }
        return new LabeledImages(images, labels);
    }

    public int count() {
        return images.count();
    }

    public int height() {
        return images.dims()[1];
    }

    public int width() {
        return images.dims()[2];
    }

    /** The first {@code n} images and labels. */
    public LabeledImages head(int n) {
        return new LabeledImages(images.head(n), labels.head(n));
    }
}
