package io.sparkdiffusion.metrics;

import java.util.Arrays;

/**
 * Improved precision and recall of Kynkäänniemi et al. 2019 ("Improved Precision and Recall Metric for Assessing
 * Generative Models", Section 2): each feature set's manifold is estimated as the union of balls around its points,
 * each ball reaching the point's k-th nearest neighbour within the same set,
 * <pre>
 *   f(phi, Phi)  = 1 if |phi - phi'| <= |phi' - NN_k(phi', Phi)| for some phi' in Phi, else 0
 *   precision    = (1/|Phi_g|) sum_{phi_g} f(phi_g, Phi_r)    (generated samples inside the real manifold)
 *   recall       = (1/|Phi_r|) sum_{phi_r} f(phi_r, Phi_g)    (real samples inside the generated manifold)
 * </pre>
 * with {@code NN_k} the k-th nearest neighbour other than the point itself (the paper uses k = 3). Precision
 * measures fidelity, recall diversity; both lie in [0, 1]. Distances are Euclidean, in double. The cost is
 * {@code O((|Phi_r| + |Phi_g|)^2 d)}, so the sets should be a few thousand points each, and of equal size: the
 * radii shrink as a set grows.
 */
public final class PrecisionRecall {
    /** The paper's neighbourhood size. */
    public static final int DEFAULT_K = 3;

    /** Both numbers, each in [0, 1]. */
    public record Result(double precision, double recall) {
    }

    private PrecisionRecall() {
    }

    /**
     * @param real      the reference features, {@code [nr, d]} row-major, {@code nr > k}
     * @param generated the generated features, {@code [ng, d]}, {@code ng > k}
     * @param k         the neighbourhood size, {@code >= 1}
     */
    public static Result compute(float[] real, float[] generated, int d, int k) {
        int nr = rows(real, d, k, "real features");
        int ng = rows(generated, d, k, "generated features");
        double[] realRadii = kthNeighbourDistances(real, nr, d, k);
        double[] generatedRadii = kthNeighbourDistances(generated, ng, d, k);
        double precision = coveredFraction(generated, ng, real, realRadii, nr, d);
        double recall = coveredFraction(real, nr, generated, generatedRadii, ng, d);
        return new Result(precision, recall);
    }

    /** For each of the n rows: the squared distance to its k-th nearest other row. */
    static double[] kthNeighbourDistances(float[] x, int n, int d, int k) {
        double[] radii = new double[n];
        double[] dist = new double[n - 1];
        for (int i = 0; i < n; i++) {
            int m = 0;
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    dist[m++] = squaredDistance(x, i, x, j, d);
                }
            }
            Arrays.sort(dist);
            radii[i] = dist[k - 1];
        }
        return radii;
    }

    /** The fraction of the rows of {@code points} inside at least one ball (centre a row of manifold, squared radius). */
    static double coveredFraction(float[] points, int np, float[] manifold, double[] radii, int nm, int d) {
        int covered = 0;
        for (int i = 0; i < np; i++) {
            for (int j = 0; j < nm; j++) {
                if (squaredDistance(points, i, manifold, j, d) <= radii[j]) {
                    covered++;
                    break;
                }
            }
        }
        return (double) covered / np;
    }

    private static double squaredDistance(float[] a, int i, float[] b, int j, int d) {
        double s = 0;
        int ai = i * d;
        int bj = j * d;
        for (int c = 0; c < d; c++) {
            double diff = (double) a[ai + c] - b[bj + c];
            s += diff * diff;
        }
        return s;
    }

    private static int rows(float[] x, int d, int k, String what) {
        if (d < 1) {
            throw new IllegalArgumentException("feature dimension must be >= 1, got " + d);
        }
        if (k < 1) {
            throw new IllegalArgumentException("k (neighbourhood size) must be >= 1, got " + k);
        }
        if (x.length % d != 0) {
            throw new IllegalArgumentException(what + ": " + x.length + " floats is not a multiple of d = " + d);
        }
        int n = x.length / d;
        if (n <= k) {
            throw new IllegalArgumentException(what + ": " + n + " rows, but the k-th nearest neighbour needs more than"
                    + " k = " + k + " rows");
        }
        return n;
    }
}
