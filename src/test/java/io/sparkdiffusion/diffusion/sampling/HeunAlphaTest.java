package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.EdmParameterization;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heun's {@code alpha} (NVlabs/edm ablation_sampler's generalized 2nd-order step) against the step written out by
 * hand, on Gaussian data {@code N(0, sd^2)}, whose exact denoiser is {@code D(x; sigma) = x sd^2 / (sd^2 + sigma^2)}.
 */
class HeunAlphaTest {
    /** Both sides are the same few double operations in a different order. */
    private static final double TOL = 1e-12;
    private static final double SD = 0.5;

    private static double denoise(double x, double sigma) {
        return x * SD * SD / (SD * SD + sigma * sigma);
    }

    /** EDM's ODE slope {@code (x - D(x; t)) / t} ({@code sigma(t) = t, s(t) = 1}). */
    private static double slope(double x, double t) {
        return (x - denoise(x, t)) / t;
    }

    @Test
    void alphaMovesTheSecondSlopeAsInAblationSampler() {
        EdmParameterization p = EdmParameterization.defaults();
        double alpha = 0.5;
        SamplerSettings st = SamplerSettings.defaults(SamplerKind.HEUN, p).withNumSteps(2).withAlpha(alpha);
        double noise = 0.7;
        Denoiser exact = (x, sigma, labels, n, dim, out) -> {
            for (int i = 0; i < n * dim; i++) {
                out[i] = denoise(x[i], sigma[i / dim]);
            }
        };
        double got = new Sampler(p, st).sample(exact, 1, 1, new double[] {noise}, new long[] {1}, null)[0];

        double[] t = p.timeSteps(2); // sigmaMax, sigmaMin, 0
        // Step 0, heun: x_prime = x + alpha h d_cur; t_prime = t + alpha h; x_next = x + h ((1 - 1/(2 alpha)) d_cur + 1/(2 alpha) d_prime).
        double x = noise * t[0];
        double h = t[1] - t[0];
        double dCur = slope(x, t[0]);
        double dPrime = slope(x + alpha * h * dCur, t[0] + alpha * h);
        x = x + h * ((1 - 1 / (2 * alpha)) * dCur + 1 / (2 * alpha) * dPrime);
        // Step 1, the last: Euler to t = 0.
        x = x + (t[2] - t[1]) * slope(x, t[1]);
        assertEquals(x, got, TOL);

        double heun = new Sampler(p, st.withAlpha(1)).sample(exact, 1, 1, new double[] {noise}, new long[] {1}, null)[0];
        assertTrue(Math.abs(heun - got) > 1e-6, "alpha 0.5 must differ from Heun: " + heun + " vs " + got);
    }

    @Test
    void alphaOutsideZeroOneIsRefused() {
        SamplerSettings st = SamplerSettings.defaults(SamplerKind.HEUN, EdmParameterization.defaults());
        var e = assertThrows(IllegalArgumentException.class, () -> st.withAlpha(0));
        assertEquals("alpha must be in (0, 1], got 0.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> st.withAlpha(1.5));
    }
}
