package io.sparkdiffusion.tensor.kernels;

/**
 * Elementwise sum of two tensors of equal shape.
 *
 * <pre>
 * a, b, y [count]    y = a + b    da += dy    db += dy
 * </pre>
 */
public final class Add {
    private Add() {
    }

    public static void forward(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int count) {
        for (int i = 0; i < count; i++) {
            y[yOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /** da += dy and db += dy; either may be null. */
    public static void backward(float[] dy, int dyOff, float[] da, int daOff, float[] db, int dbOff, int count) {
        if (da != null) {
            accumulate(dy, dyOff, da, daOff, count);
        }
        if (db != null) {
            accumulate(dy, dyOff, db, dbOff, count);
        }
    }

    /** dst += src over count elements. */
    public static void accumulate(float[] src, int srcOff, float[] dst, int dstOff, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOff + i] += src[srcOff + i];
        }
    }
}
