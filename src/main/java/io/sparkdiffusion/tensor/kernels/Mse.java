package io.sparkdiffusion.tensor.kernels;

/**
 * Mean squared error, {@code F.mse_loss(y, target)}, optionally with one weight per sample.
 *
 * <pre>
 * y, t [N, M]   w [N] (or none = all ones)    count = N*M
 * loss = (1/count) sum_n w[n] sum_m (y[n,m] - t[n,m])^2
 * dy[n,m] += dLoss * 2 w[n] (y[n,m] - t[n,m]) / count
 * </pre>
 */
public final class Mse {
    private Mse() {
    }

    /** The loss, accumulated in double. {@code w} may be null. */
    public static float forward(float[] y, int yOff, float[] t, int tOff, float[] w, int wOff, int n, int m) {
        double total = 0.0;
        for (int i = 0; i < n; i++) {
            double s0 = 0.0, s1 = 0.0;
            int base = i * m;
            int j = 0;
            for (; j + 1 < m; j += 2) {
                double d0 = y[yOff + base + j] - t[tOff + base + j];
                double d1 = y[yOff + base + j + 1] - t[tOff + base + j + 1];
                s0 += d0 * d0;
                s1 += d1 * d1;
            }
            for (; j < m; j++) {
                double d = y[yOff + base + j] - t[tOff + base + j];
                s0 += d * d;
            }
            total += (w == null ? 1.0 : w[wOff + i]) * (s0 + s1);
        }
        return (float) (total / ((double) n * m));
    }

    /** dy += dLoss * d loss / dy. */
    public static void backward(float dLoss, float[] y, int yOff, float[] t, int tOff, float[] w, int wOff,
                                float[] dy, int dyOff, int n, int m) {
        float base = (float) (2.0 * dLoss / ((double) n * m));
        for (int i = 0; i < n; i++) {
            float f = w == null ? base : base * w[wOff + i];
            int off = i * m;
            for (int j = 0; j < m; j++) {
                dy[dyOff + off + j] += f * (y[yOff + off + j] - t[tOff + off + j]);
            }
        }
    }
}
