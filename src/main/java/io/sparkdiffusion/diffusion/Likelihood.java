package io.sparkdiffusion.diffusion;

import java.util.SplittableRandom;

/**
 * Log-likelihood through the probability-flow ODE (Song et al. 2021, "Score-Based Generative Modeling through
 * Stochastic Differential Equations", Appendix D.2, as score_sde's {@code likelihood.py}), for any parameterization
 * of the EDM framework. All of them share the marginals {@code p(x; sigma)} of the unscaled variable
 * {@code x = y + sigma n}, whose probability-flow ODE is (Karras et al. 2022, Eq. 3 with s = 1, sigma(t) = t)
 * <pre>
 *   dx / dsigma = f(x, sigma) = (x - D(x; sigma)) / sigma
 *   log p(x_0; sigmaMin) = log p(x_N; sigmaMax) + integral_{sigmaMin}^{sigmaMax} div f(x, sigma) dsigma
 *   div f = (dim - tr dD/dx) / sigma
 * </pre>
 * A scaled path {@code s(t) x} has the same likelihood (the scaling's Jacobian cancels between prior and flow), so
 * the parameterization enters only through its noise range. The prior is {@code N(0, sigmaMax^2 I)}.
 *
 * <p>Method: Heun steps (trapezoid for the log-density) from {@code sigmaMin} up to {@code sigmaMax} on the EDM grid
 * ({@code rho} = 7, {@link TimeGrid#EDM}'s spacing). {@code tr dD/dx} is the Skilling-Hutchinson estimate
 * {@code eps^T (dD/dx) eps} with one Rademacher {@code eps} per row drawn from the row's seed and kept for the whole
 * path (as score_sde), or, with {@code probes = 0}, the exact trace over the {@code dim} basis vectors (for tests and
 * small dims). The quadratic forms {@code v^T (dD/dx) v} come from the denoiser itself when it is a
 * {@link DenoiserJacobian} (the U-Net: one backward pass, exact up to float32), else from central differences with
 * step {@code fdStep * sigma}, whose error is {@code O(fdStep^2)}: fine for a double-precision denoiser, drowned in
 * rounding for a float32 one at small sigma. The Hutchinson estimate is unbiased, so
 * its error on a mean over rows is the standard error of the per-row values.
 */
public final class Likelihood {
    /** The EDM grid exponent used for the integration steps. */
    public static final double RHO = 7.0;

    /** Log-density of the prior at {@code sigmaMax}, per row of {@code x} ({@code [n, dim]}). */
    @FunctionalInterface
    public interface Prior {
        double logDensity(double[] x, int row, int dim);

        /** {@code N(0, sigmaMax^2 I)}, score_sde's prior. */
        static Prior gaussian(double sigmaMax) {
            return (x, row, dim) -> {
                double q = 0;
                for (int j = 0; j < dim; j++) {
                    double v = x[row * dim + j];
                    q += v * v;
                }
                return -0.5 * dim * Math.log(2 * Math.PI * sigmaMax * sigmaMax) - 0.5 * q / (sigmaMax * sigmaMax);
            };
        }
    }

    private final double sigmaMin;
    private final double sigmaMax;
    private final int numSteps;
    private final int probes;
    private final double fdStep;

    /**
     * @param numSteps integration steps, {@code >= 1}
     * @param probes   1 for one Rademacher probe per row (score_sde), 0 for the exact trace
     * @param fdStep   the central-difference step relative to sigma, e.g. 1e-3
     */
    public Likelihood(double sigmaMin, double sigmaMax, int numSteps, int probes, double fdStep) {
        if (!(sigmaMin > 0) || !(sigmaMax > sigmaMin) || Double.isInfinite(sigmaMax)) {
            throw new IllegalArgumentException("need 0 < sigmaMin < sigmaMax < infinity, got sigmaMin=" + sigmaMin
                    + ", sigmaMax=" + sigmaMax);
        }
        if (numSteps < 1) {
            throw new IllegalArgumentException("numSteps must be >= 1, got " + numSteps);
        }
        if (probes != 0 && probes != 1) {
            throw new IllegalArgumentException("probes must be 1 (Hutchinson) or 0 (exact trace), got " + probes);
        }
        if (!(fdStep > 0 && fdStep < 0.1)) {
            throw new IllegalArgumentException("fdStep must be in (0, 0.1), got " + fdStep);
        }
        this.sigmaMin = sigmaMin;
        this.sigmaMax = sigmaMax;
        this.numSteps = numSteps;
        this.probes = probes;
        this.fdStep = fdStep;
    }

    /** The integration grid, ascending from sigmaMin to sigmaMax ({@code numSteps + 1} levels). */
    double[] grid() {
        double[] s = new double[numSteps + 1];
        double a = Math.pow(sigmaMin, 1 / RHO);
        double b = Math.pow(sigmaMax, 1 / RHO);
        for (int i = 0; i <= numSteps; i++) {
            s[i] = Math.pow(a + (double) i / numSteps * (b - a), RHO);
        }
        s[0] = sigmaMin;
        s[numSteps] = sigmaMax;
        return s;
    }

    /**
     * {@code log p(x_i; sigmaMin)} in nats for each row of {@code x} ({@code [n, dim]}, not modified) under the
     * prior {@code N(0, sigmaMax^2 I)}.
     *
     * @param labels per-row class labels for a conditional denoiser, or null
     * @param seeds  per-row seeds of the Hutchinson probes ({@code [n]}; unused with the exact trace)
     */
    public double[] logDensity(Denoiser d, double[] x, int[] labels, long[] seeds, int n, int dim) {
        return logDensity(d, x, labels, seeds, n, dim, Prior.gaussian(sigmaMax));
    }

    /** As {@link #logDensity(Denoiser, double[], int[], long[], int, int)} with another prior. */
    public double[] logDensity(Denoiser d, double[] x, int[] labels, long[] seeds, int n, int dim, Prior prior) {
        if (x.length != n * dim) {
            throw new IllegalArgumentException("x: expected n * dim = " + n * dim + " values, got " + x.length);
        }
        if (seeds.length != n) {
            throw new IllegalArgumentException("seeds: expected one per row (" + n + "), got " + seeds.length);
        }
        double[] eps = probes == 1 ? rademacher(seeds, dim) : null;
        double[] sigmas = grid();
        double[] cur = x.clone();
        double[] delta = new double[n];
        double[] f0 = new double[n * dim];
        double[] div0 = new double[n];
        double[] f1 = new double[n * dim];
        double[] div1 = new double[n];
        double[] pred = new double[n * dim];
        for (int i = 0; i < numSteps; i++) {
            double s0 = sigmas[i];
            double s1 = sigmas[i + 1];
            double h = s1 - s0;
            // Euler step.
            drift(d, cur, labels, s0, n, dim, eps, f0, div0);
            for (int k = 0; k < cur.length; k++) {
                pred[k] = cur[k] + h * f0[k];
            }
            // Apply 2nd order correction (and the trapezoid rule for the log-density).
            drift(d, pred, labels, s1, n, dim, eps, f1, div1);
            for (int k = 0; k < cur.length; k++) {
                cur[k] += 0.5 * h * (f0[k] + f1[k]);
            }
            for (int r = 0; r < n; r++) {
                delta[r] += 0.5 * h * (div0[r] + div1[r]);
            }
        }
        double[] out = new double[n];
        for (int r = 0; r < n; r++) {
            out[r] = prior.logDensity(cur, r, dim) + delta[r];
        }
        return out;
    }

    /** f = (x - D(x; sigma)) / sigma and its divergence (estimated or exact), for all rows. */
    private void drift(Denoiser d, double[] x, int[] labels, double sigma, int n, int dim, double[] eps, double[] f,
                       double[] div) {
        double[] sig = new double[n];
        java.util.Arrays.fill(sig, sigma);
        double[] den = new double[n * dim];
        d.denoise(x, sig, labels, n, dim, den);
        for (int k = 0; k < f.length; k++) {
            f[k] = (x[k] - den[k]) / sigma;
        }
        double[] trace = eps != null ? directional(d, x, labels, sig, n, dim, eps, sigma)
                : exactTrace(d, x, labels, sig, n, dim, sigma);
        for (int r = 0; r < n; r++) {
            div[r] = (dim - trace[r]) / sigma;
        }
    }

    /**
     * Per row: v^T (dD/dx) v, from the denoiser when it is a {@link DenoiserJacobian}, else by central differences
     * along v (rows of {@code v}, {@code [n, dim]}).
     */
    private double[] directional(Denoiser d, double[] x, int[] labels, double[] sig, int n, int dim, double[] v,
                                 double sigma) {
        if (d instanceof DenoiserJacobian j) {
            double[] out = new double[n];
            j.jacobianQuadraticForm(x, sig, labels, n, dim, v, out);
            return out;
        }
        double step = fdStep * sigma;
        double[] plus = new double[n * dim];
        double[] minus = new double[n * dim];
        for (int k = 0; k < plus.length; k++) {
            plus[k] = x[k] + step * v[k];
            minus[k] = x[k] - step * v[k];
        }
        double[] dp = new double[n * dim];
        double[] dm = new double[n * dim];
        d.denoise(plus, sig, labels, n, dim, dp);
        d.denoise(minus, sig, labels, n, dim, dm);
        double[] out = new double[n];
        for (int r = 0; r < n; r++) {
            double s = 0;
            for (int j = 0; j < dim; j++) {
                int k = r * dim + j;
                s += v[k] * (dp[k] - dm[k]);
            }
            out[r] = s / (2 * step);
        }
        return out;
    }

    /** Per row: tr dD/dx, summing e_j^T (dD/dx) e_j over the basis. */
    private double[] exactTrace(Denoiser d, double[] x, int[] labels, double[] sig, int n, int dim, double sigma) {
        double[] out = new double[n];
        double[] basis = new double[n * dim];
        for (int j = 0; j < dim; j++) {
            java.util.Arrays.fill(basis, 0);
            for (int r = 0; r < n; r++) {
                basis[r * dim + j] = 1;
            }
            double[] t = directional(d, x, labels, sig, n, dim, basis, sigma);
            for (int r = 0; r < n; r++) {
                out[r] += t[r];
            }
        }
        return out;
    }

    private static double[] rademacher(long[] seeds, int dim) {
        double[] eps = new double[seeds.length * dim];
        for (int r = 0; r < seeds.length; r++) {
            SplittableRandom rng = new SplittableRandom(seeds[r]);
            for (int j = 0; j < dim; j++) {
                eps[r * dim + j] = rng.nextBoolean() ? 1 : -1;
            }
        }
        return eps;
    }

    /**
     * Bits per dimension of 8-bit data from the log-density (nats) of its dequantized value
     * {@code y = 2 (k + u) / 256 - 1}, {@code u ~ U[0, 1)} per pixel (score_sde's offset of 7 for data in [-1, 1]):
     * {@code bpd = -logDensity / (dim ln 2) + 7}. The density of {@code u = (k + u') / 256} on the unit cube is
     * {@code 2^dim p(y)}, and the probability of the 8-bit value is at least that density times {@code 256^-dim}
     * (Jensen), so this is an upper bound on the discrete bits, like score_sde's.
     */
    public static double bitsPerDim(double logDensity, int dim) {
        return -logDensity / (dim * Math.log(2)) + 7;
    }

    /** Uniform dequantization of 8-bit values {@code k} into [-1, 1]: {@code 2 (k + u) / 256 - 1}, u from rng. */
    public static double[] dequantize(int[] pixels, SplittableRandom rng) {
        double[] y = new double[pixels.length];
        for (int i = 0; i < y.length; i++) {
            if (pixels[i] < 0 || pixels[i] > 255) {
                throw new IllegalArgumentException("pixel " + i + " is " + pixels[i] + ", expected an 8-bit value 0..255");
            }
            y[i] = 2 * (pixels[i] + rng.nextDouble()) / 256 - 1;
        }
        return y;
    }
}
