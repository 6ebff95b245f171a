package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Gemm;

/**
 * Fully connected layer, PyTorch layout.
 *
 * <pre>
 * x [N, in]   w [out, in]   b [out]   y [N, out]      wt [in, out] (scratch: w transposed)
 * y = x w^T + b
 * dx += dy w    dw += dy^T x    db += sum_n dy[n, :]
 * </pre>
 *
 * <p>The forward pass is batch invariant: {@code y[n, :] = b + sum_i x[n, i] wt[i, :]}, term by term in the order
 * of i, so a row's output has the same bits whatever other rows are in the batch (a GEMM's rounding depends on its
 * shape). The inner loop runs over contiguous outputs, which the JIT vectorizes without reordering any sum.
 */
public final class Linear {
    private Linear() {
    }

    /** Floats of scratch {@link #forward} needs. */
    public static int scratchSize(int in, int out) {
        return in * out;
    }

    /** y = x w^T + b; y is overwritten; b may be null; scratch holds {@link #scratchSize} floats. */
    public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
                               int n, int in, int out, float[] scratch) {
        for (int o = 0; o < out; o++) {
            int src = wOff + o * in;
            for (int i = 0; i < in; i++) {
                scratch[i * out + o] = w[src + i];
            }
        }
        for (int r = 0; r < n; r++) {
            int row = yOff + r * out;
            if (b == null) {
                java.util.Arrays.fill(y, row, row + out, 0f);
            } else {
                System.arraycopy(b, bOff, y, row, out);
            }
            int xRow = xOff + r * in;
            for (int i = 0; i < in; i++) {
                float xi = x[xRow + i];
                int wt = i * out;
                for (int o = 0; o < out; o++) {
                    y[row + o] += xi * scratch[wt + o];
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
