package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Denoiser;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sampler state for one batch: {@code x} ({@code [n, dim]}, row-major, double), the denoiser and one random stream
 * per row. Every operation is row by row, so a row's values never depend on the other rows.
 */
final class Batch {

    final int n;
    final int dim;
    /** {@code [n, dim]}: the unit starting noise on entry, the sample on exit. */
    final double[] x;
    private final Denoiser denoiser;
    private final int[] labels;
    private final SplittableRandom[] stepRandom;
    private final double[] sigmaBuffer;
    private final double[] inputBuffer;

    Batch(int n, int dim, double[] x, Denoiser denoiser, int[] labels, SplittableRandom[] stepRandom) {
        this.n = n;
        this.dim = dim;
        this.x = x;
        this.denoiser = denoiser;
        this.labels = labels;
        this.stepRandom = stepRandom;
        this.sigmaBuffer = new double[n];
        this.inputBuffer = new double[n * dim];
    }

    /** {@code out = D(xScaled / s; sigma)}: the denoiser on scaled state (pass {@code s = 1} for unscaled). */
    void denoise(double[] xScaled, double s, double sigma, double[] out) {
        double inv = 1.0 / s;
        for (int j = 0; j < xScaled.length; j++) {
            inputBuffer[j] = xScaled[j] * inv;
        }
        Arrays.fill(sigmaBuffer, sigma);
        denoiser.denoise(inputBuffer, sigmaBuffer, labels, n, dim, out);
    }

    /** Fills {@code z} ({@code [n, dim]}) with unit Gaussians, row {@code i} from its own stream. */
    void gaussians(double[] z) {
        for (int i = 0; i < n; i++) {
            SplittableRandom rng = stepRandom[i];
            for (int j = i * dim, end = j + dim; j < end; j++) {
                z[j] = rng.nextGaussian();
            }
        }
    }

    /** Multiplies every value of {@code x} by {@code factor}. */
    void scaleInPlace(double factor) {
        for (int j = 0; j < x.length; j++) {
            x[j] *= factor;
        }
    }
}
