package io.sparkdiffusion.tensor.kernels;

/**
 * Multiplication by a constant.
 *
 * <pre>
 * x, y [count]    y = s * x    dx += s * dy    (or dx = s * dy, for a gradient's first values: forward)
 * </pre>
 */
public final class Scale {
    private Scale() {
    }

    public static void forward(float[] x, int xOff, float s, float[] y, int yOff, int count) {
        for (int i = 0; i < count; i++) {
            y[yOff + i] = s * x[xOff + i];
        }
    }

    public static void backward(float[] dy, int dyOff, float s, float[] dx, int dxOff, int count) {
        for (int i = 0; i < count; i++) {
            dx[dxOff + i] += s * dy[dyOff + i];
        }
    }
}
