package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Gemm;

/**
 * Fully connected layer, PyTorch layout.
 *
 * <pre>
 * x [N, in]   w [out, in]   b [out]   y [N, out]
 * y = x w^T + b
 * dx += dy w    dw += dy^T x    db += sum_n dy[n, :]
 * </pre>
 */
public final class Linear {
    private Linear() {
    }

    /** y = x w^T + b; y is overwritten; b may be null. */
    public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
                               int n, int in, int out) {
        Gemm.sgemm(false, true, n, out, in, 1f, x, xOff, in, w, wOff, in, 0f, y, yOff, out);
        if (b != null) {
            for (int i = 0; i < n; i++) {
                int row = yOff + i * out;
                for (int o = 0; o < out; o++) {
                    y[row + o] += b[bOff + o];
                }
            }
        }
    }

    /** Accumulates dx, dw, db (each may be null when not wanted). */
    public static void backward(float[] dy, int dyOff, float[] x, int xOff, float[] w, int wOff,
                                float[] dx, int dxOff, float[] dw, int dwOff, float[] db, int dbOff,
                                int n, int in, int out) {
        if (dx != null) {
            Gemm.sgemm(false, false, n, in, out, 1f, dy, dyOff, out, w, wOff, in, 1f, dx, dxOff, in);
        }
        if (dw != null) {
            Gemm.sgemm(true, false, out, in, n, 1f, dy, dyOff, out, x, xOff, in, 1f, dw, dwOff, in);
        }
        if (db != null) {
            for (int i = 0; i < n; i++) {
                int row = dyOff + i * out;
                for (int o = 0; o < out; o++) {
                    db[dbOff + o] += dy[row + o];
                }
            }
        }
    }
}
