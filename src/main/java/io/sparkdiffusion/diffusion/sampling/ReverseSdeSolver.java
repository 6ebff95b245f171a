package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Parameterization;

/**
 * Reverse-time SDE (Song et al. 2021, Eq. 6) by Euler-Maruyama, optionally with a Langevin corrector
 * (predictor-corrector, Song et al. 2021, Algorithms 2-3), for any {@code sigma(t), s(t)}.
 *
 * <p>In the scaled variable the forward SDE is {@code dx = f x dt + g dw} with {@code f = s'/s} and
 * {@code g^2 = 2 s^2 sigma sigma'}; the score is {@code (s D(x/s; sigma) - x) / (s sigma)^2}. Predictor from
 * {@code t_i} to {@code t_{i+1}}, {@code h = t_i - t_{i+1}}:
 * {@code x <- x - h (f x - g^2 score) + g sqrt(h) z}. The last step (to {@code t = 0}) is the Tweedie step
 * {@code x <- D}. Corrector ({@code pc} only, before each predictor step): {@code numCorrectorSteps} times
 * {@code eps = 2 (snr s sigma)^2}, {@code x <- x + eps score + sqrt(2 eps) z} (see {@link #langevin}).
 */
final class ReverseSdeSolver {

    private ReverseSdeSolver() {
    }

    static void run(Parameterization p, SamplerSettings st, double[] t, Batch b) {
        int numSteps = t.length - 1;
        int corrector = st.kind() == SamplerKind.PC ? st.numCorrectorSteps() : 0;
        double[] x = b.x;
        int len = x.length;
        double[] denoised = new double[len];
        double[] z = new double[len];
        b.scaleInPlace(p.sigma(t[0]) * p.s(t[0]));
        for (int i = 0; i < numSteps; i++) {
            double sigma = p.sigma(t[i]);
            double s = p.s(t[i]);
            for (int k = 0; k < corrector; k++) {
                langevin(x, s, sigma, st.snr(), b, denoised, z);
            }

            b.denoise(x, s, sigma, denoised);
            if (i == numSteps - 1) {
                System.arraycopy(denoised, 0, x, 0, len);
                continue;
            }
            double h = t[i] - t[i + 1];
            double f = p.sDeriv(t[i]) / s;
            double g2 = 2.0 * s * s * sigma * p.sigmaDeriv(t[i]);
            double scoreScale = 1.0 / (s * s * sigma * sigma);
            double noiseScale = Math.sqrt(g2 * h);
            b.gaussians(z);
            for (int j = 0; j < len; j++) {
                double score = (s * denoised[j] - x[j]) * scoreScale;
                x[j] += -h * (f * x[j] - g2 * score) + noiseScale * z[j];
            }
        }
    }

    /**
     * One Langevin step at level {@code sigma}: {@code eps = 2 (snr s sigma)^2}, which is Song et al.'s
     * {@code 2 (snr |z| / |score|)^2} with the norms replaced by their high-dimensional values
     * ({@code |z|^2 ~ dim}, {@code |score|^2 ~ dim / (s sigma)^2}). The per-sample ratio is unstable in low dimensions
     * (near a mode {@code |score| ~ 0} gives a huge step) and the per-batch one couples samples.
     */
    private static void langevin(double[] x, double s, double sigma, double snr, Batch b, double[] denoised,
                                 double[] z) {
        b.denoise(x, s, sigma, denoised);
        b.gaussians(z);
        double scoreScale = 1.0 / (s * s * sigma * sigma);
        double eps = 2.0 * snr * snr * s * s * sigma * sigma;
        double noiseScale = Math.sqrt(2.0 * eps);
        for (int j = 0; j < x.length; j++) {
            double score = (s * denoised[j] - x[j]) * scoreScale;
            x[j] += eps * score + noiseScale * z[j];
        }
    }
}
