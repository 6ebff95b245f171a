package io.sparkdiffusion.io;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

import java.util.Arrays;

/**
 * An unsigned-byte IDX array: {@code dims[0]} items, each of shape {@code dims[1..]}, stored row-major.
 * Fashion-MNIST images are {@code [N, 28, 28]}, labels {@code [N]}.
 *
 * @param dims the extents, outermost (the item count) first; at least one, each positive
 * @param data {@code product(dims)} unsigned bytes, row-major
 */
public record IdxArray(int[] dims, byte[] data) {

    public IdxArray {
        if (dims.length == 0 || dims.length > 255) {
            throw new IllegalArgumentException("an IDX array has 1 to 255 dimensions, got " + dims.length);
        }
        long size = 1;
        for (int d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("IDX dimensions must be positive, got " + Arrays.toString(dims));
            }
            size *= d;
        }
        if (size != data.length) {
            throw new IllegalArgumentException("IDX dims " + Arrays.toString(dims) + " hold " + size
                    + " bytes, got " + data.length);
        }
        dims = dims.clone();
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    /** The number of items: {@code dims[0]}. */
    public int count() {
        return dims[0];
    }

    /** The bytes of one item: the product of {@code dims[1..]} (1 for a vector of labels). */
    public int itemSize() {
        return data.length / dims[0];
    }

    /** Item {@code i} of a rank-1 array (a label), as 0..255. */
    public int label(int i) {
        if (dims.length != 1) {
            throw new IllegalStateException("labels are a rank-1 IDX array, got dims " + Arrays.toString(dims));
        }
        return data[i] & 0xFF;
    }

    /** All items of a rank-1 array as ints 0..255. */
    public int[] labels() {
        int[] labels = new int[count()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = label(i);
        }
        return labels;
    }

    /**
     * Item {@code i} of a rank-3 array {@code [N, H, W]} as a one-channel image {@code [1, H, W]} in [-1, 1]:
     * {@code x = b / 127.5 - 1}, so byte 0 maps to -1 and byte 255 to +1.
     */
    public Tensor image(int i) {
        if (dims.length != 3) {
            throw new IllegalStateException("images are a rank-3 IDX array [N, H, W], got dims " + Arrays.toString(dims));
        }
        if (i < 0 || i >= dims[0]) {
            throw new IndexOutOfBoundsException("image " + i + " of " + dims[0]);
        }
        int size = itemSize();
        float[] pixels = new float[size];
        for (int k = 0; k < size; k++) {
            pixels[k] = (data[i * size + k] & 0xFF) / 127.5f - 1f;
        }
        return new Tensor(pixels, Shape.of(1, dims[1], dims[2]));
    }

    /** The first {@code n} items (all of them when {@code n >= count()}). */
    public IdxArray head(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("head needs n >= 1, got " + n);
        }
        if (n >= dims[0]) {
            return this;
        }
        int[] newDims = dims.clone();
        newDims[0] = n;
        return new IdxArray(newDims, Arrays.copyOf(data, n * itemSize()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdxArray other && Arrays.equals(dims, other.dims) && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(dims) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "IdxArray" + Arrays.toString(dims);
    }
}
