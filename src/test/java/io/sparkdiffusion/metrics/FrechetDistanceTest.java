package io.sparkdiffusion.metrics;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Fréchet distance against closed forms (derivations in each test). */
class FrechetDistanceTest {
    /** Closed forms evaluated in double against two LAPACK eigendecompositions of tiny matrices. */
    static final double CLOSED_FORM = 1e-10;
    /**
     * Moments estimated from N = 40,000 draws: each covariance entry has a standard error of about
     * sqrt(2 / N) * 3 ~ 0.02 here, and the distance inherits errors of that order.
     */
    static final double SAMPLED = 0.05;

    @Test
    void diagonalCovariancesGiveTheSumOfSquaredRootDifferences() {
        // For commuting (here diagonal) covariances, tr sqrt(S1 S2) = sum sqrt(a_i b_i), so
        // d^2 = |mu1 - mu2|^2 + sum (sqrt a_i - sqrt b_i)^2 = (1 + 0 + 4) + ((2-1)^2 + (3-2)^2 + (1-4)^2) = 16.
        double[] mu1 = {1, 2, 3};
        double[] mu2 = {0, 2, 5};
        double[] s1 = {4, 0, 0, 0, 9, 0, 0, 0, 1};
        double[] s2 = {1, 0, 0, 0, 4, 0, 0, 0, 16};
        FrechetDistance.Result r = FrechetDistance.compute(mu1, s1, mu2, s2, 3);
        assertEquals(16, r.value(), CLOSED_FORM);
        assertEquals(5, r.meanTerm(), CLOSED_FORM);
        assertEquals(11, r.traceTerm(), CLOSED_FORM);
    }

    @Test
    void nonCommutingTwoByTwoMatchesTheTraceDeterminantFormula() {
        // A 2x2 PSD M with eigenvalues a, b has (tr sqrt M)^2 = a + b + 2 sqrt(ab) = tr M + 2 sqrt(det M).
        // M = sqrt(S1) S2 sqrt(S1) has tr M = tr(S1 S2) = 2*3 + 2*1 = 8 and det M = det S1 det S2 = 3 * 3, so
        // tr sqrt(S1 S2) = sqrt(8 + 2 * 3) = sqrt(14), and with equal means d^2 = 4 + 4 - 2 sqrt(14).
        double[] s1 = {2, 1, 1, 2};
        double[] s2 = {3, 0, 0, 1};
        double expected = 8 - 2 * Math.sqrt(14);
        assertEquals(expected, FrechetDistance.compute(new double[2], s1, new double[2], s2, 2).value(), CLOSED_FORM);
        assertEquals(expected, FrechetDistance.compute(new double[2], s2, new double[2], s1, 2).value(), CLOSED_FORM,
                "symmetric in its arguments");
    }

    @Test
    void aSingularCovarianceIsHandled() {
        // S1 = [[1, 1], [1, 1]] (rank 1), S2 = I: S1 S2 = S1 with eigenvalues 2 and 0, tr sqrt = sqrt(2);
        // d^2 = 2 + 2 - 2 sqrt(2).
        double d = FrechetDistance.compute(new double[2], new double[] {1, 1, 1, 1}, new double[2],
                new double[] {1, 0, 0, 1}, 2).value();
        assertEquals(4 - 2 * Math.sqrt(2), d, CLOSED_FORM);
    }

    @Test
    void identicalGaussiansAreAtDistanceZero() {
        double[] mu = {0.5, -1, 2};
        double[] s = {2, 0.5, 0.1, 0.5, 1, 0.3, 0.1, 0.3, 3};
        assertEquals(0, FrechetDistance.compute(mu, s, mu, s, 3).value(), CLOSED_FORM);
    }

    @Test
    void featuresDrawnFromChosenGaussiansRecoverTheClosedForm() {
        // Features x = mu + L z with L L^T = S: S1 = [[2, 1], [1, 2]] (L1 = [[sqrt 2, 0], [1/sqrt 2, sqrt(3/2)]]),
        // S2 = diag(3, 1); means (1, 0) and (0, 2): d^2 = |mu1 - mu2|^2 + 8 - 2 sqrt(14) = 5 + 8 - 2 sqrt(14).
        int n = 40_000;
        SplittableRandom random = new SplittableRandom(14);
        float[] a = new float[2 * n];
        float[] b = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double z0 = random.nextGaussian();
            double z1 = random.nextGaussian();
            a[2 * i] = (float) (1 + Math.sqrt(2) * z0);
            a[2 * i + 1] = (float) (z0 / Math.sqrt(2) + Math.sqrt(1.5) * z1);
            b[2 * i] = (float) (Math.sqrt(3) * random.nextGaussian());
            b[2 * i + 1] = (float) (2 + random.nextGaussian());
        }
        double d = FrechetDistance.between(FeatureMoments.ofRows(a, 2), FeatureMoments.ofRows(b, 2)).value();
        assertEquals(13 - 2 * Math.sqrt(14), d, SAMPLED);
    }

    @Test
    void badMatricesAreRejectedWithTheReason() {
        IllegalArgumentException notPsd = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.compute(
                new double[2], new double[] {1, 2, 2, 1}, new double[2], new double[] {1, 0, 0, 1}, 2));
        assertTrue(notPsd.getMessage().startsWith("covariance 1 is not positive semi-definite"), notPsd.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.compute(
                new double[2], new double[3], new double[2], new double[4], 2));
        assertEquals("covariance 1: expected a 2 x 2 matrix (4 values), got 3 values", size.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.compute(new double[2],
                new double[] {1, 0, 0, Double.NaN}, new double[2], new double[] {1, 0, 0, 1}, 2));
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(new FeatureMoments(2),
                new FeatureMoments(3)));
    }
}
