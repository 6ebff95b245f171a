package io.sparkdiffusion.tensor.kernels;

/**
 * Elementwise sum of two tensors of equal shape.
 *
 * <pre>
 * a, b, y [count]    y = a + b    da += dy    db += dy
 * scaled:             y = s (a + b)    da += s dy    db += s dy      (a residual join: one pass instead of two)
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

    /** y = s (a + b): the sum rounded, then scaled, so the bits equal {@code Scale} after {@code forward}. */
    public static void forwardScaled(float[] a, int aOff, float[] b, int bOff, float s, float[] y, int yOff,
                                     int count) {
        for (int i = 0; i < count; i++) {
            y[yOff + i] = s * (a[aOff + i] + b[bOff + i]);
        }
    }

    /** da += s dy and db += s dy; either may be null. */
    public static void backwardScaled(float[] dy, int dyOff, float s, float[] da, int daOff, float[] db, int dbOff,
                                      int count) {
        if (da != null) {
            Scale.backward(dy, dyOff, s, da, daOff, count);
        }
        if (db != null) {
            Scale.backward(dy, dyOff, s, db, dbOff, count);
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
