package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.tensor.Tensor;

/**
 * Fully connected layer, PyTorch layout.
 *
 * <pre>
 * x [N, in]   w [out, in]   b [out]   y [N, out]      wt [in, out] (scratch: w transposed)
 * y = x w^T + b
 * dx += dy w    dw += dy^T x    db += sum_n dy[n, :]
 * </pre>
 * Every array but the scratch is a {@link Tensor} view (its data from its offset); the shape is a {@link Geometry}.
 *
 * <p>The forward pass is batch invariant: {@code y[n, :] = b + sum_i x[n, i] wt[i, :]}, term by term in the order
 * of i, so a row's output has the same bits whatever other rows are in the batch (a GEMM's rounding depends on its
 * shape). The inner loop runs over contiguous outputs, which the JIT vectorizes without reordering any sum.
 */
public final class Linear {
    private Linear() {
    }

    /** The shape of a fully connected layer: N rows of {@code in} inputs mapped to {@code out} outputs. */
    public record Geometry(int n, int in, int out) {
        public Geometry {
            if (n < 1 || in < 1 || out < 1) {
                throw new IllegalArgumentException("Linear needs n, in, out >= 1, got n " + n + ", in " + in + ", out "
                        + out);
            }
        }

        /** Throws unless {@code t} (null allowed when {@code optional}) holds at least {@code size} elements. */
        static void require(Tensor t, int size, String what, boolean optional) {
            if (t == null ? !optional : t.size() < size) {
                throw new IllegalArgumentException("Linear " + what + ": expected " + size + " floats, got "
                        + (t == null ? "null" : t.size()));
            }
        }

        /** Throws unless x is a view of [N, in], w of [out, in] and b, when given, of [out]. */
        void require(Tensor x, Tensor w, Tensor b) {
            require(x, n * in, "x, a view of [N, in]", false);
            require(w, out * in, "weight, a view of [out, in]", false);
            require(b, out, "bias, a view of [out]", true);
        }
    }

    /** Floats of scratch {@link #forward} needs. */
    public static int scratchSize(Geometry g) {
        return g.in() * g.out();
    }

    /** y = x w^T + b; y is overwritten; b may be null; scratch holds {@link #scratchSize} floats. */
    public static void forward(Geometry g, Tensor x, Tensor w, Tensor b, Tensor y, float[] scratch) {
        g.require(x, w, b);
        Geometry.require(y, g.n() * g.out(), "y, a view of [N, out]", false);
        if (scratch.length < scratchSize(g)) {
            throw new IllegalArgumentException("Linear scratch: expected " + scratchSize(g) + " floats (in * out), got "
                    + scratch.length);
        }
        forward(x.data(), x.offset(), w.data(), w.offset(), b == null ? null : b.data(), b == null ? 0 : b.offset(),
                y.data(), y.offset(), g.n(), g.in(), g.out(), scratch);
    }

    private static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
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
    public static void backward(Geometry g, Tensor dy, Tensor x, Tensor w, Tensor dx, Tensor dw, Tensor db) {
        g.require(x, w, null);
        Geometry.require(dy, g.n() * g.out(), "dy, a view of [N, out]", false);
        Geometry.require(dx, g.n() * g.in(), "dx, a view of [N, in]", true);
        Geometry.require(dw, g.out() * g.in(), "dweight, a view of [out, in]", true);
        Geometry.require(db, g.out(), "dbias, a view of [out]", true);
        backward(dy.data(), dy.offset(), x.data(), x.offset(), w.data(), w.offset(), dx == null ? null : dx.data(),
                dx == null ? 0 : dx.offset(), dw == null ? null : dw.data(), dw == null ? 0 : dw.offset(),
                db == null ? null : db.data(), db == null ? 0 : db.offset(), g.n(), g.in(), g.out());
    }

    private static void backward(float[] dy, int dyOff, float[] x, int xOff, float[] w, int wOff,
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
