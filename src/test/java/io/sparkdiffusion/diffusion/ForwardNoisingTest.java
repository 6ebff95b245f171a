package io.sparkdiffusion.diffusion;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** x_t = s(t) (y + sigma(t) n): empirical mean and standard deviation against hand-computed s(t) and sigma(t). */
class ForwardNoisingTest {

    private static final int DRAWS = 20_000;
    /** Mean within 4 standard errors. */
    private static final double MEAN_Z = 4.0;
    /** Sample sd of 20,000 Gaussians: relative error sd 0.5%; allow 2.5%. */
    private static final double SD_REL_TOL = 0.025;
    private static final float[] Y = {0.5f, -1.0f, 0.2f, 2.0f};

    private static void check(Parameterization p, double t, double s, double sigma) {
        int dim = Y.length;
        double[] sum = new double[dim];
        double[] sumSq = new double[dim];
        for (int i = 0; i < DRAWS; i++) {
            ForwardNoising.Noised r = ForwardNoising.atTime(p, Y, t, 1000L + i);
            assertEquals(sigma, r.sigma(), 1e-9 * sigma, p.kind().id() + " sigma");
            for (int j = 0; j < dim; j++) {
                sum[j] += r.xt()[j];
                sumSq[j] += (double) r.xt()[j] * r.xt()[j];
            }
        }
        double sd = s * sigma;
        for (int j = 0; j < dim; j++) {
            double mean = sum[j] / DRAWS;
            double empSd = Math.sqrt(sumSq[j] / DRAWS - mean * mean);
            assertEquals(s * Y[j], mean, MEAN_Z * sd / Math.sqrt(DRAWS), p.kind().id() + " mean of x_t[" + j + "]");
            assertEquals(sd, empSd, SD_REL_TOL * sd, p.kind().id() + " sd of x_t[" + j + "]");
        }
    }

    @Test
    void edm() {
        // sigma(t) = t, s = 1
        check(EdmParameterization.defaults(), 0.7, 1.0, 0.7);
    }

    @Test
    void ve() {
        // sigma(0.49) = sqrt(0.49) = 0.7, s = 1
        check(VeParameterization.defaults(), 0.49, 1.0, 0.7);
    }

    @Test
    void vp() {
        // sigma(0.5) = sqrt(exp(19.9/8 + 0.05) - 1) = 3.41291830906912, s = 1/sqrt(1 + sigma^2) = 0.2811828807967524
        check(VpParameterization.defaults(), 0.5, 0.2811828807967524, 3.41291830906912);
    }

    @Test
    void flow() {
        // x_t = 0.7 y + 0.3 n: s = 0.7, sigma = 0.3/0.7
        check(FlowParameterization.defaults(), 0.3, 0.7, 0.3 / 0.7);
    }

    @Test
    void targetsAreTheKnownRegressionTargets() {
        // Flow: velocity n - y; VE: (y - x)/sigma = -n; VP: (y - x)/(-sigma) = n (epsilon prediction);
        // EDM at sigma = 1, sd = 0.5: (y - 0.2 (y + n)) / 0.4472135954999579.
        long seed = 5;
        ForwardNoising.Noised flow = ForwardNoising.atTime(FlowParameterization.defaults(), Y, 0.3, seed);
        ForwardNoising.Noised ve = ForwardNoising.atTime(VeParameterization.defaults(), Y, 0.49, seed);
        ForwardNoising.Noised vp = ForwardNoising.atTime(VpParameterization.defaults(), Y, 0.5, seed);
        ForwardNoising.Noised edm = ForwardNoising.atTime(EdmParameterization.defaults(), Y, 1.0, seed);
        for (int j = 0; j < Y.length; j++) {
            float n = flow.noise()[j];
            assertEquals(n - Y[j], flow.target()[j], 1e-5, "flow target");
            assertEquals(0.7 * Y[j] + 0.3 * n, flow.netInput()[j], 1e-5, "flow network input is x_t");
            assertEquals(0.7 * Y[j] + 0.3 * n, flow.xt()[j], 1e-5, "flow x_t");
            assertEquals(-n, ve.target()[j], 1e-5, "ve target");
            assertEquals(n, vp.target()[j], 1e-5, "vp target");
            assertEquals((Y[j] - 0.2 * (Y[j] + n)) / 0.4472135954999579, edm.target()[j], 1e-5, "edm target");
        }
        assertEquals(300.0, flow.cNoise(), 1e-9, "flow cNoise = 1000 t");
        assertArrayEquals(flow.noise(), ve.noise(), "same seed, same noise");
    }

    @Test
    void trainingLevelDrawIsPerSeed() {
        Parameterization p = EdmParameterization.defaults();
        ForwardNoising.Noised a = ForwardNoising.atTrainingLevel(p, Y, 77);
        ForwardNoising.Noised b = ForwardNoising.atTrainingLevel(p, Y, 77);
        assertEquals(a.sigma(), b.sigma(), 0.0);
        assertArrayEquals(a.xt(), b.xt());
        assertTrue(a.sigma() > 0);
        assertEquals(a.t(), p.sigmaInv(a.sigma()), 0.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ForwardNoising.atTime(p, Y, 0.0, 1));
        assertTrue(e.getMessage().startsWith("t must give a finite sigma(t) > 0 for edm"), e.getMessage());
    }
}
