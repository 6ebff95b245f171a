package io.sparkdiffusion.diffusion;

import io.sparkdiffusion.diffusion.sampling.Sampler;
import io.sparkdiffusion.diffusion.sampling.SamplerKind;
import io.sparkdiffusion.diffusion.sampling.SamplerSettings;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** D = D_uncond + w (D_cond - D_uncond), with label -1 unconditional, on the mixture's exact (conditional) denoiser. */
class ClassifierFreeGuidanceTest {

    private static final int DIM = 2;

    @Test
    void combinesConditionalAndUnconditional() {
        GaussianMixture gm = GaussianMixture.threeModes(DIM);
        double[] x = {0.3, -0.2, 1.0, 1.5, -2.0, 0.4};
        double[] sigma = {1.5, 1.5, 0.7};
        int[] labels = {1, -1, 2};
        double[] uncond = new double[6];
        double[] cond = new double[6];
        gm.denoise(x, sigma, null, 3, DIM, uncond);
        gm.denoise(x, sigma, labels, 3, DIM, cond);
        double w = 2.5;
        double[] guided = new double[6];
        ClassifierFreeGuidance guidance = new ClassifierFreeGuidance(gm, w);
        guidance.denoise(x, sigma, labels, 3, DIM, guided);
        for (int j = 0; j < 6; j++) {
            double expected = j / DIM == 1 ? uncond[j] : uncond[j] + w * (cond[j] - uncond[j]);
            assertEquals(expected, guided[j], 1e-12, "element " + j);
        }
        // The instance keeps its conditional buffer between calls (a sampler's steps): a later, smaller call with
        // other rows gives those rows' values as a fresh instance does, nothing of the earlier call's.
        double[] again = new double[DIM];
        guidance.denoise(new double[]{x[4], x[5]}, new double[]{sigma[2]}, new int[]{labels[2]}, 1, DIM, again);
        double[] fresh = new double[DIM];
        new ClassifierFreeGuidance(gm, w).denoise(new double[]{x[4], x[5]}, new double[]{sigma[2]},
                new int[]{labels[2]}, 1, DIM, fresh);
        assertEquals(fresh[0], again[0], 0.0);
        assertEquals(fresh[1], again[1], 0.0);
        assertEquals(guided[4], again[0], 1e-12);
        assertEquals(guided[5], again[1], 1e-12);
        assertSame(gm, ClassifierFreeGuidance.wrap(gm, 1.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClassifierFreeGuidance(gm, -1));
        assertEquals("guidanceWeight must be finite and >= 0, got -1.0", e.getMessage());
    }

    @Test
    void conditionalSamplingLandsInTheLabelledMode() {
        GaussianMixture gm = GaussianMixture.threeModes(DIM);
        Parameterization p = EdmParameterization.defaults();
        int n = 300;
        long[] seeds = new long[n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            seeds[i] = i;
            labels[i] = i % 3;
        }
        for (double w : new double[]{1.0, 3.0}) {
            SamplerSettings st = SamplerSettings.defaults(SamplerKind.HEUN, p).withNumSteps(32).withGuidanceWeight(w);
            double[] x = new Sampler(p, st).sample(gm, n, DIM, seeds, labels);
            int[] comp = gm.classify(x, n);
            for (int i = 0; i < n; i++) {
                assertEquals(labels[i], comp[i], "sample " + i + " with guidance " + w);
            }
        }
    }
}
