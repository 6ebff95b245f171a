package io.sparkdiffusion.diffusion;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The probability-flow log-likelihood of the exact Gaussian-mixture denoiser against the mixture's closed form
 * {@code log p(x; sigma) = log sum_k pi_k prod_j N(x_j; mu_kj, v_kj + sigma^2)}.
 */
class LikelihoodTest {
    static final double SIGMA_MIN = 0.002;
    static final double SIGMA_MAX = 80;
    /**
     * Heun with 400 steps on the EDM grid, global error O(h^2): the largest row error measured was 1.8e-3 nats at
     * 400 steps (6.3e-3 at 200, 4.6e-4 at 800); central differences of step 1e-3 sigma add about 1e-6.
     */
    static final double ODE_TOLERANCE = 4e-3;
    static final int STEPS = 400;
    /**
     * The Gaussian prior N(0, 80^2 I) instead of the mixture at sigma 80: log-density differences of order
     * (|mu|^2 + v) / (2 sigma^2) per dimension, about 1e-3 for these means.
     */
    static final double PRIOR_BIAS = 5e-3;

    @Test
    void exactTraceMatchesTheClosedFormRowByRow() {
        GaussianMixture gm = GaussianMixture.threeModes(2);
        int n = 60;
        double[] x = gm.sample(n, 1);
        double[] got = exactTraceErrors(gm, x, n, STEPS);
        for (int r = 0; r < n; r++) {
            assertEquals(0, got[r], ODE_TOLERANCE, "row " + r);
        }
    }

    @Test
    void theErrorFallsAtSecondOrderWithTheStepCount() {
        GaussianMixture gm = GaussianMixture.threeModes(2);
        int n = 60;
        double[] x = gm.sample(n, 1);
        double coarse = maxAbs(exactTraceErrors(gm, x, n, STEPS / 2));
        double fine = maxAbs(exactTraceErrors(gm, x, n, STEPS));
        // Heun is second order: twice the steps, about a quarter of the error (measured 3.5).
        assertTrue(coarse / fine > 3, "error " + coarse + " at " + STEPS / 2 + " steps, " + fine + " at " + STEPS);
    }

    /** Per row: the ODE's log-density (exact trace, exact mixture prior) minus the closed form. */
    private static double[] exactTraceErrors(GaussianMixture gm, double[] x, int n, int steps) {
        double[] got = new Likelihood(SIGMA_MIN, SIGMA_MAX, steps, 0, 1e-3).logDensity(gm, x, null, new long[n], n,
                gm.dim(), (cur, row, dim) -> closedForm(gm, cur, row, SIGMA_MAX));
        for (int r = 0; r < n; r++) {
            got[r] -= closedForm(gm, x, r, SIGMA_MIN);
        }
        return got;
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @Test
    void hutchinsonWithTheGaussianPriorIsUnbiasedWithinItsStandardError() {
        GaussianMixture gm = GaussianMixture.threeModes(4);
        int n = 400;
        int dim = 4;
        double[] x = gm.sample(n, 2);
        long[] seeds = new long[n];
        for (int r = 0; r < n; r++) {
            seeds[r] = 1000 + r;
        }
        double[] got = new Likelihood(SIGMA_MIN, SIGMA_MAX, STEPS, 1, 1e-3).logDensity(gm, x, null, seeds, n, dim);
        double sum = 0;
        double sumSq = 0;
        for (int r = 0; r < n; r++) {
            double e = got[r] - closedForm(gm, x, r, SIGMA_MIN);
            sum += e;
            sumSq += e * e;
        }
        double mean = sum / n;
        double standardError = Math.sqrt((sumSq / n - mean * mean) / (n - 1));
        assertTrue(standardError > 0, "the probes add variance");
        assertTrue(Math.abs(mean) < 4 * standardError + PRIOR_BIAS + ODE_TOLERANCE,
                "mean error " + mean + ", standard error " + standardError);
    }

    @Test
    void bitsPerDimAndDequantization() {
        // A density of 2^-dim per unit volume in [-1, 1]^dim is uniform there: 1 bit per dim for y, and the 8-bit
        // value then costs 1 - 1 + 8 = 8 bits: bpd = -(-dim ln 2) / (dim ln 2) + 7 = 8.
        assertEquals(8.0, Likelihood.bitsPerDim(-3 * Math.log(2), 3), 1e-12);
        double[] y = Likelihood.dequantize(new int[] {0, 255, 128}, new SplittableRandom(1));
        assertTrue(y[0] >= -1 && y[0] < -1 + 2.0 / 256, "" + y[0]);
        assertTrue(y[1] >= 1 - 2.0 / 256 && y[1] < 1, "" + y[1]);
        assertTrue(y[2] >= 0 && y[2] < 2.0 / 256, "" + y[2]);
        assertThrows(IllegalArgumentException.class, () -> Likelihood.dequantize(new int[] {256}, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> new Likelihood(0, 80, 10, 1, 1e-3));
        assertThrows(IllegalArgumentException.class, () -> new Likelihood(0.002, 80, 10, 2, 1e-3));
    }

    /** log sum_k pi_k prod_j N(x_j; mu_kj, v_kj + sigma^2) for row r of x, by log-sum-exp. */
    static double closedForm(GaussianMixture gm, double[] x, int r, double sigma) {
        int dim = gm.dim();
        double[] terms = new double[gm.components()];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < terms.length; k++) {
            double t = Math.log(gm.weight(k));
            for (int j = 0; j < dim; j++) {
                double var = gm.variance(k, j) + sigma * sigma;
                double dx = x[r * dim + j] - gm.mean(k, j);
                t -= 0.5 * Math.log(2 * Math.PI * var) + 0.5 * dx * dx / var;
            }
            terms[k] = t;
            max = Math.max(max, t);
        }
        double s = 0;
        for (double t : terms) {
            s += Math.exp(t - max);
        }
        return max + Math.log(s);
    }
}
