package io.sparkdiffusion.tensor;

import java.util.Arrays;

/**
 * The dimensions of a row-major tensor, outermost first. Images are NCHW: {@code [N, C, H, W]}.
 *
 * @param dims the extent of each axis; every extent is positive
 */
public record Shape(int... dims) {

    public Shape {
        if (dims == null || dims.length == 0) {
            throw new IllegalArgumentException("a shape needs at least one dimension, got " + Arrays.toString(dims));
        }
        dims = dims.clone();
        long size = 1;
        for (int d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("every dimension must be positive, got " + Arrays.toString(dims));
            }
            size *= d;
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " holds more than 2^31-1 elements");
            }
        }
    }

    public static Shape of(int... dims) {
        return new Shape(dims);
    }

    /** The number of axes. */
    public int rank() {
        return dims.length;
    }

    /** The extent of axis {@code axis}; negative axes count from the end ({@code -1} is the last). */
    public int dim(int axis) {
        return dims[axis < 0 ? dims.length + axis : axis];
    }

    /** The number of elements: the product of all extents. */
    public int size() {
        int size = 1;
        for (int d : dims) {
            size *= d;
        }
        return size;
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    /** Throws unless this shape equals {@code expected}, naming {@code what} in the message. */
    public void require(Shape expected, String what) {
        if (!equals(expected)) {
            throw new IllegalArgumentException(what + ": expected " + expected + ", got " + this);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape other && Arrays.equals(dims, other.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
