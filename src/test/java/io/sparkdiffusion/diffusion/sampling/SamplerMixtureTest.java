package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.GaussianMixture;
import io.sparkdiffusion.diffusion.MixtureStatistics;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.ParameterizationKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every sampler under every parameterization it applies to, with the exact denoiser of a known Gaussian mixture
 * ({@link GaussianMixture#threeModes}: weights 0.5 / 0.3 / 0.2, diagonal covariances), reproduces the mixture in 2-D
 * and 64-D from 8,000 samples, each on the parameterization's own time grid.
 */
class SamplerMixtureTest {

    private static final int NUM_SAMPLES = 8000;
    /** Rows used for the energy distance (O(m^2) pairs). */
    private static final int ENERGY_ROWS = 2000;
    /** |empirical weight - pi_k|; the multinomial sd at pi = 0.5 and 8,000 samples is 0.0056. */
    private static final double WEIGHT_TOL = 0.02;
    /** RMS over coordinates of (empirical mean - mu_k) / sqrt(v_k); sampling noise alone is ~0.03 for pi = 0.2. */
    private static final double MEAN_TOL = 0.1;
    /** Average over coordinates of empirical / true variance must be in [1 - TOL, 1 + TOL]. */
    private static final double VARIANCE_AVG_TOL = 0.1;
    /** Every coordinate's empirical / true variance in [1 - TOL, 1 + TOL] (64 coords x 3 modes, sd 0.035 each). */
    private static final double VARIANCE_MAX_TOL = 0.25;
    /**
     * Unbiased energy distance bound on 2,000 vs 2,000 rows. Calibration: exact-vs-exact mixture samples gave at most
     * 0.014 (2-D) and 0.0063 (64-D) over 20 seed pairs; a sampler with too few steps (VE Euler, 100 steps, 64-D)
     * gives 0.04, VE Heun with 18 steps 0.17 (2-D) and 0.5 (64-D).
     */
    private static final double ENERGY_TOL = 0.025;

    /**
     * Steps per sampler and parameterization: enough for a first-order method on the published grid (VE's
     * geometric grid in {@code t = sigma^2} converges slowly, Karras et al. 2022 Fig. 2; DPM-Solver++ on VP's grid
     * extrapolates across the grid's steep end).
     */
    static int numSteps(SamplerKind kind, ParameterizationKind p) {
        return switch (kind) {
            case HEUN -> p == ParameterizationKind.VE ? 128 : 32;
            case EULER -> p == ParameterizationKind.VE ? 768 : 100;
            case EDM_STOCHASTIC -> 64;
            case DDIM -> p == ParameterizationKind.VE || p == ParameterizationKind.VP ? 256 : 100;
            case DDPM -> 400;
            case DPMPP_2M -> p == ParameterizationKind.VP ? 200 : 50;
            case SDE -> 200;
            case PC -> 150;
            case FLOW_EULER -> 100;
            case FLOW_HEUN -> 32;
        };
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int dim : new int[]{2, 64}) {
            for (ParameterizationKind p : ParameterizationKind.values()) {
                for (SamplerKind s : SamplerKind.values()) {
                    boolean flowOnly = s == SamplerKind.FLOW_EULER || s == SamplerKind.FLOW_HEUN;
                    if (!flowOnly || p == ParameterizationKind.FLOW) {
                        out.add(Arguments.of(dim, p, s));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}-D {1} {2}")
    @MethodSource("cases")
    void reproducesGaussianMixture(int dim, ParameterizationKind pk, SamplerKind kind) {
        GaussianMixture gm = GaussianMixture.threeModes(dim);
        Parameterization p = pk.defaults();
        SamplerSettings settings = SamplerSettings.defaults(kind, p).withNumSteps(numSteps(kind, pk));
        long[] seeds = new long[NUM_SAMPLES];
        for (int i = 0; i < NUM_SAMPLES; i++) {
            seeds[i] = 7_000_000L + i;
        }
        double[] x = new Sampler(p, settings).sample(gm, NUM_SAMPLES, dim, seeds, null);
        MixtureStatistics st = MixtureStatistics.of(gm, x, NUM_SAMPLES, ENERGY_ROWS, 99);
        String where = dim + "-D " + pk.id() + " " + kind.id() + " N=" + settings.numSteps() + ": " + st;
        assertTrue(st.weightError() <= WEIGHT_TOL, "mode weights, " + where);
        assertTrue(st.meanError() <= MEAN_TOL, "mode means, " + where);
        assertTrue(Math.abs(st.varianceRatioAvg() - 1) <= VARIANCE_AVG_TOL, "mode variances (average), " + where);
        assertTrue(st.varianceRatioMax() <= VARIANCE_MAX_TOL, "mode variances (worst coordinate), " + where);
        assertTrue(st.energyDistance() <= ENERGY_TOL, "energy distance, " + where);
    }
}
