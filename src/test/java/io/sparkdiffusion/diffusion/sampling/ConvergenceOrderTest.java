package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.GaussianMixture;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.ParameterizationKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deterministic samplers converge at their order: against a 1,000-step solution of the same ODE from the same noise,
 * going from 64 to 128 steps cuts the error by ~2x for first-order methods (Euler, DDIM) and ~4x for second-order
 * ones (Heun, DPM-Solver++(2M)); and each sampler calls the denoiser the documented number of times.
 */
class ConvergenceOrderTest {

    private static final int NUM_SAMPLES = 200;
    private static final int DIM = 2;
    private static final int REFERENCE_STEPS = 1000;
    private static final double FIRST_ORDER_LO = 1.6;
    private static final double FIRST_ORDER_HI = 2.6;
    private static final double SECOND_ORDER_LO = 3.0;
    private static final double SECOND_ORDER_HI = 5.5;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (ParameterizationKind p : ParameterizationKind.values()) {
            out.add(Arguments.of(p, SamplerKind.EULER, 1));
            out.add(Arguments.of(p, SamplerKind.HEUN, 2));
            out.add(Arguments.of(p, SamplerKind.DDIM, 1));
            out.add(Arguments.of(p, SamplerKind.DPMPP_2M, 2));
        }
        out.add(Arguments.of(ParameterizationKind.FLOW, SamplerKind.FLOW_EULER, 1));
        out.add(Arguments.of(ParameterizationKind.FLOW, SamplerKind.FLOW_HEUN, 2));
        return out.stream();
    }

    private static long[] seeds() {
        long[] seeds = new long[NUM_SAMPLES];
        for (int i = 0; i < NUM_SAMPLES; i++) {
            seeds[i] = 31L * i + 5;
        }
        return seeds;
    }

    /**
     * Median over samples of |x_i - ref_i|. The median, not the RMS: the few trajectories that pass near a boundary
     * between modes need much smaller steps before they are in the asymptotic regime, and a single one that lands in
     * the other mode at 64 steps dominates an RMS.
     */
    private static double medianError(double[] x, double[] ref) {
        double[] e = new double[NUM_SAMPLES];
        for (int i = 0; i < NUM_SAMPLES; i++) {
            double s = 0;
            for (int j = i * DIM; j < (i + 1) * DIM; j++) {
                s += (x[j] - ref[j]) * (x[j] - ref[j]);
            }
            e[i] = Math.sqrt(s);
        }
        java.util.Arrays.sort(e);
        return 0.5 * (e[NUM_SAMPLES / 2 - 1] + e[NUM_SAMPLES / 2]);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void halvingTheStepCutsTheErrorByTheOrder(ParameterizationKind pk, SamplerKind kind, int order) {
        GaussianMixture gm = GaussianMixture.threeModes(DIM);
        Parameterization p = pk.defaults();
        SamplerSettings base = SamplerSettings.defaults(kind, p);
        long[] seeds = seeds();
        double[] ref = new Sampler(p, base.withNumSteps(REFERENCE_STEPS)).sample(gm, NUM_SAMPLES, DIM, seeds, null);
        double e64 = medianError(new Sampler(p, base.withNumSteps(64)).sample(gm, NUM_SAMPLES, DIM, seeds, null), ref);
        double e128 = medianError(new Sampler(p, base.withNumSteps(128)).sample(gm, NUM_SAMPLES, DIM, seeds, null), ref);
        double ratio = e64 / e128;
        String what = pk.id() + " " + kind.id() + ": error 64 steps " + e64 + ", 128 steps " + e128 + ", ratio " + ratio;
        if (order == 1) {
            assertTrue(ratio >= FIRST_ORDER_LO && ratio <= FIRST_ORDER_HI, what);
        } else {
            assertTrue(ratio >= SECOND_ORDER_LO && ratio <= SECOND_ORDER_HI, what);
        }
    }

    @Test
    void ddimWithEtaZeroIsEulerInSigmaAndFlowEulerIsEulerInT() {
        // Karras et al. 2022, Sec. 3: DDIM is Euler for sigma(t) = t, s(t) = 1; for x_t = (1-t) y + t n the flow
        // Euler step in t is the same update.
        GaussianMixture gm = GaussianMixture.threeModes(DIM);
        long[] seeds = seeds();
        Parameterization edm = ParameterizationKind.EDM.defaults();
        double[] euler = new Sampler(edm, SamplerSettings.defaults(SamplerKind.EULER, edm).withNumSteps(20))
                .sample(gm, NUM_SAMPLES, DIM, seeds, null);
        double[] ddim = new Sampler(edm, SamplerSettings.defaults(SamplerKind.DDIM, edm).withNumSteps(20))
                .sample(gm, NUM_SAMPLES, DIM, seeds, null);
        assertArrayEquals(euler, ddim, 1e-9);
        Parameterization flow = ParameterizationKind.FLOW.defaults();
        double[] flowEuler = new Sampler(flow, SamplerSettings.defaults(SamplerKind.FLOW_EULER, flow)
                .withNumSteps(20)).sample(gm, NUM_SAMPLES, DIM, seeds, null);
        double[] flowDdim = new Sampler(flow, SamplerSettings.defaults(SamplerKind.DDIM, flow).withNumSteps(20))
                .sample(gm, NUM_SAMPLES, DIM, seeds, null);
        double[] generalEuler = new Sampler(flow, SamplerSettings.defaults(SamplerKind.EULER, flow).withNumSteps(20))
                .sample(gm, NUM_SAMPLES, DIM, seeds, null);
        assertArrayEquals(flowEuler, flowDdim, 1e-9);
        assertArrayEquals(flowEuler, generalEuler, 1e-9);
    }

    /** Counts denoiser calls. */
    private static final class Counting implements Denoiser {
        private final Denoiser inner;
        int calls;

        Counting(Denoiser inner) {
            this.inner = inner;
        }

        @Override
        public void denoise(double[] x, double[] sigma, int[] labels, int n, int dim, double[] out) {
            calls++;
            inner.denoise(x, sigma, labels, n, dim, out);
        }
    }

    @ParameterizedTest
    @EnumSource(SamplerKind.class)
    void evaluationCountsAreAsDocumented(SamplerKind kind) {
        // N = 10, two corrector steps: Heun-type 2N - 1 = 19, PC N (1 + 2) = 30, all others N = 10.
        int expected = switch (kind) {
            case HEUN, EDM_STOCHASTIC, FLOW_HEUN -> 19;
            case PC -> 30;
            default -> 10;
        };
        Parameterization p = ParameterizationKind.FLOW.defaults();
        SamplerSettings settings = SamplerSettings.defaults(kind, p).withNumSteps(10).withCorrector(0.16, 2);
        Counting counting = new Counting(GaussianMixture.threeModes(DIM));
        new Sampler(p, settings).sample(counting, 4, DIM, new long[]{1, 2, 3, 4}, null);
        assertEquals(expected, counting.calls, kind.id());
        assertEquals(expected, settings.evaluations(), kind.id());
        // Guidance doubles the network calls when rows carry labels.
        Counting guided = new Counting(GaussianMixture.threeModes(DIM));
        new Sampler(p, settings.withGuidanceWeight(2.0)).sample(guided, 4, DIM, new long[]{1, 2, 3, 4},
                new int[]{0, 1, -1, 2});
        assertEquals(2 * expected, guided.calls, kind.id() + " with guidance");
    }
}
