package io.sparkdiffusion.metrics;

/**
 * The Fréchet distance between the Gaussians {@code N(mu1, S1)} and {@code N(mu2, S2)} fitted to two feature sets
 * (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium", the
 * FID when the features are Inception's; here any feature network's):
 * <pre>
 *   d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2)
 * </pre>
 *
 * <p>Method: {@code S1 S2} is not symmetric, but it is similar to {@code M = sqrt(S1) S2 sqrt(S1)}
 * ({@code S1 S2 = sqrt(S1) M sqrt(S1)^-1} when S1 is invertible, and by continuity otherwise), which is symmetric
 * positive semi-definite, so both have the same non-negative eigenvalues and
 * {@code tr sqrt(S1 S2) = sum_k sqrt(lambda_k(M))}. Both square roots come from symmetric eigendecompositions
 * (LAPACK {@code dsyevd}, {@link SymmetricEigen}): stable, real, and no iteration of our own, where scipy's
 * {@code sqrtm} (pytorch-fid's method) runs a Schur decomposition of the non-symmetric product and discards the
 * imaginary rounding residue. Eigenvalues of M below zero by rounding count as 0.
 */
public final class FrechetDistance {

    /** The parts of the distance: {@code value = meanTerm + traceTerm}. */
    public record Result(double value, double meanTerm, double traceTerm) {
    }

    private FrechetDistance() {
    }

    /** The distance between the Gaussians fitted to two feature sets' moments (unbiased covariances). */
    public static Result between(FeatureMoments a, FeatureMoments b) {
        if (a.dimension() != b.dimension()) {
            throw new IllegalArgumentException("feature dimensions differ: " + a.dimension() + " vs " + b.dimension()
                    + " (both sets must come from the same feature network)");
        }
        return compute(a.mean(), a.covariance(), b.mean(), b.covariance(), a.dimension());
    }

    /**
     * The distance for explicit moments.
     *
     * @param mu1    {@code [d]}
     * @param sigma1 {@code [d, d]}, symmetric PSD
     * @param mu2    {@code [d]}
     * @param sigma2 {@code [d, d]}, symmetric PSD
     */
    public static Result compute(double[] mu1, double[] sigma1, double[] mu2, double[] sigma2, int d) {
        if (mu1.length != d || mu2.length != d) {
            throw new IllegalArgumentException("means: expected " + d + " values each, got " + mu1.length + " and "
                    + mu2.length);
        }
        SymmetricEigen.requireSquare(sigma1, d, "covariance 1");
        SymmetricEigen.requireSquare(sigma2, d, "covariance 2");
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            double diff = mu1[i] - mu2[i];
            meanTerm += diff * diff;
        }
        double[] root1 = SymmetricEigen.sqrtPsd(sigma1, d, "covariance 1");
        double[] m = symmetricSandwich(root1, sigma2, d);
        double[] lambda = SymmetricEigen.decompose(m, d, "sqrt(S1) S2 sqrt(S1)").values();
        double scale = Math.max(Math.abs(lambda[0]), Math.abs(lambda[d - 1]));
        double traceSqrt = 0;
        for (double l : lambda) {
            SymmetricEigen.requirePsd(l, scale, "sqrt(S1) S2 sqrt(S1) (is covariance 2 PSD?)");
            traceSqrt += Math.sqrt(Math.max(l, 0));
        }
        double traceTerm = trace(sigma1, d) + trace(sigma2, d) - 2 * traceSqrt;
        return new Result(meanTerm + traceTerm, meanTerm, traceTerm);
    }

    /** {@code R S R} for symmetric R and S, symmetrized ({@code (X + X^T) / 2}) against rounding. */
    static double[] symmetricSandwich(double[] r, double[] s, int d) {
        double[] rs = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                double rik = r[i * d + k];
                for (int j = 0; j < d; j++) {
                    rs[i * d + j] += rik * s[k * d + j];
                }
            }
        }
        double[] out = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                double x = rs[i * d + k];
                for (int j = 0; j < d; j++) {
                    out[i * d + j] += x * r[k * d + j];
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                double avg = 0.5 * (out[i * d + j] + out[j * d + i]);
                out[i * d + j] = avg;
                out[j * d + i] = avg;
            }
        }
        return out;
    }

    private static double trace(double[] a, int d) {
        double t = 0;
        for (int i = 0; i < d; i++) {
            t += a[i * d + i];
        }
        return t;
    }
}
