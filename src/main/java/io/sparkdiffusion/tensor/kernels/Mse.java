package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Tensor;

/**
 * Mean squared error, {@code F.mse_loss(y, target)}, optionally with one weight per sample.
 *
 * <pre>
 * y, t [N, M]   w [N] (or none = all ones)    count = N*M
 * loss = (1/count) sum_n w[n] sum_m (y[n,m] - t[n,m])^2
 * dy[n,m] += dLoss * 2 w[n] (y[n,m] - t[n,m]) / count
 * </pre>
 * Every array is a {@link Tensor} view (its data from its offset); the shape is a {@link Geometry}.
 */
public final class Mse {
    private Mse() {
    }

    /** The shape of a loss: N samples of M values each. */
    public record Geometry(int n, int m) {
        public Geometry {
            if (n < 1 || m < 1) {
                throw new IllegalArgumentException("Mse needs n, m >= 1, got n " + n + ", m " + m);
            }
        }

        /** Throws unless {@code t} (null allowed when {@code optional}) holds at least {@code size} elements. */
        static void require(Tensor t, int size, String what, boolean optional) {
            if (t == null ? !optional : t.size() < size) {
                throw new IllegalArgumentException("Mse " + what + ": expected " + size + " floats, got "
                        + (t == null ? "null" : t.size()));
            }
        }

        /** Throws unless y and t are views of [N, M] and w, when given, of [N]. */
        void require(Tensor y, Tensor t, Tensor w) {
            require(y, n * m, "y, a view of [N, M]", false);
            require(t, n * m, "target, a view of [N, M]", false);
            require(w, n, "weights, a view of [N]", true);
        }
    }

    /** The loss, accumulated in double. {@code w} may be null (all ones). */
    public static float forward(Geometry geo, Tensor y, Tensor t, Tensor w) {
        geo.require(y, t, w);
        return forward(y.data(), y.offset(), t.data(), t.offset(), w == null ? null : w.data(),
                w == null ? 0 : w.offset(), geo.n(), geo.m());
    }

    private static float forward(float[] y, int yOff, float[] t, int tOff, float[] w, int wOff, int n, int m) {
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

    /** dy += dLoss * d loss / dy. {@code w} may be null (all ones). */
    public static void backward(Geometry geo, float dLoss, Tensor y, Tensor t, Tensor w, Tensor dy) {
        geo.require(y, t, w);
        Geometry.require(dy, geo.n() * geo.m(), "dy, a view of [N, M]", false);
        backward(dLoss, y.data(), y.offset(), t.data(), t.offset(), w == null ? null : w.data(),
                w == null ? 0 : w.offset(), dy.data(), dy.offset(), geo.n(), geo.m());
    }

    private static void backward(float dLoss, float[] y, int yOff, float[] t, int tOff, float[] w, int wOff,
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
