package io.sparkdiffusion.tensor.kernels;

/**
 * Mean softmax cross-entropy of logits against integer class labels, {@code F.cross_entropy(z, y)}.
 *
 * <pre>
 * z [N, C]   y [N] in [0, C)   p [N, C] (saved softmax)
 * p[n,c]    = exp(z[n,c] - max_c z[n,.]) / sum_c' exp(z[n,c'] - max_c z[n,.])
 * loss      = -(1/N) sum_n log p[n, y[n]]
 * dz[n,c]  += dLoss (p[n,c] - [c == y[n]]) / N
 * </pre>
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {
    }

    /** The loss, accumulated in double; writes the softmax into {@code p} for backward (may be null). */
    public static float forward(float[] z, int zOff, int[] labels, float[] p, int pOff, int n, int c) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            int row = zOff + i * c;
            int y = labels[i];
            if (y < 0 || y >= c) {
                throw new IllegalArgumentException("cross-entropy label " + y + " of row " + i
                        + " is not a class: expected 0.." + (c - 1));
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, z[row + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += Math.exp(z[row + j] - max);
            }
            double logSum = Math.log(sum);
            total += logSum - (z[row + y] - max);
            if (p != null) {
                for (int j = 0; j < c; j++) {
                    p[pOff + i * c + j] = (float) Math.exp(z[row + j] - max - logSum);
                }
            }
        }
        return (float) (total / n);
    }

    /** dz += dLoss * d loss / dz, from the softmax {@code p} saved by forward. */
    public static void backward(float dLoss, float[] p, int pOff, int[] labels, float[] dz, int dzOff, int n, int c) {
        float f = dLoss / n;
        for (int i = 0; i < n; i++) {
            int row = i * c;
            for (int j = 0; j < c; j++) {
                float target = j == labels[i] ? 1f : 0f;
                dz[dzOff + row + j] += f * (p[pOff + row + j] - target);
            }
        }
    }
}
