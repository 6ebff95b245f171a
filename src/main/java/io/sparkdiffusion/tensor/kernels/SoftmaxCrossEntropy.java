package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Tensor;

/**
 * Mean softmax cross-entropy of logits against integer class labels, {@code F.cross_entropy(z, y)}.
 *
 * <pre>
 * z [N, C]   y [N] in [0, C)   p [N, C] (saved softmax)
 * p[n,c]    = exp(z[n,c] - max_c z[n,.]) / sum_c' exp(z[n,c'] - max_c z[n,.])
 * loss      = -(1/N) sum_n log p[n, y[n]]
 * dz[n,c]  += dLoss (p[n,c] - [c == y[n]]) / N
 * </pre>
 * Every array is a {@link Tensor} view (its data from its offset); the shape is a {@link Geometry}.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {
    }

    /** The shape of a loss: N rows of C logits. */
    public record Geometry(int n, int c) {
        public Geometry {
            if (n < 1 || c < 1) {
                throw new IllegalArgumentException("SoftmaxCrossEntropy needs n, c >= 1, got n " + n + ", c " + c);
            }
        }

        /** Throws unless {@code t} (null allowed when {@code optional}) holds at least n * c elements. */
        void require(Tensor t, String what, boolean optional) {
            if (t == null ? !optional : t.size() < n * c) {
                throw new IllegalArgumentException("SoftmaxCrossEntropy " + what + ": expected a view of [N, C] = "
                        + n * c + " floats, got " + (t == null ? "null" : t.size()));
            }
        }

        /** Throws unless there is one label per row, each a class in [0, C). */
        void requireLabels(int[] labels) {
            if (labels.length != n) {
                throw new IllegalArgumentException("SoftmaxCrossEntropy labels: expected " + n + ", got " + labels.length);
            }
            for (int i = 0; i < n; i++) {
                if (labels[i] < 0 || labels[i] >= c) {
                    throw new IllegalArgumentException("cross-entropy label " + labels[i] + " of row " + i
                            + " is not a class: expected 0.." + (c - 1));
                }
            }
        }
    }

    /** The loss, accumulated in double; writes the softmax into {@code p} for backward (may be null). */
    public static float forward(Geometry geo, Tensor z, int[] labels, Tensor p) {
        geo.require(z, "logits", false);
        geo.require(p, "saved softmax", true);
        geo.requireLabels(labels);
        return forward(z.data(), z.offset(), labels, p == null ? null : p.data(), p == null ? 0 : p.offset(),
                geo.n(), geo.c());
    }

    private static float forward(float[] z, int zOff, int[] labels, float[] p, int pOff, int n, int c) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            int row = zOff + i * c;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, z[row + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += Math.exp(z[row + j] - max);
            }
            double logSum = Math.log(sum);
            total += logSum - (z[row + labels[i]] - max);
            if (p != null) {
                for (int j = 0; j < c; j++) {
                    p[pOff + i * c + j] = (float) Math.exp(z[row + j] - max - logSum);
                }
            }
        }
        return (float) (total / n);
    }

    /** dz += dLoss * d loss / dz, from the softmax {@code p} saved by forward. */
    public static void backward(Geometry geo, float dLoss, Tensor p, int[] labels, Tensor dz) {
        geo.require(p, "saved softmax", false);
        geo.require(dz, "dz", false);
        geo.requireLabels(labels);
        float f = dLoss / geo.n();
        float[] pd = p.data();
        float[] dd = dz.data();
        for (int i = 0; i < geo.n(); i++) {
            int row = i * geo.c();
            for (int j = 0; j < geo.c(); j++) {
                float target = j == labels[i] ? 1f : 0f;
                dd[dz.offset() + row + j] += f * (pd[p.offset() + row + j] - target);
            }
        }
    }
}
