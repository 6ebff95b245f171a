package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Parameterization;

/**
 * DDIM with {@code eta} (Song et al. 2021, Eq. 12) and DDPM ancestral sampling ({@code eta = 1}), written in the
 * unscaled variable {@code x / s(t) = y + sigma n} on the levels {@code sigma_i = sigma(t_i)}: the scaling cancels
 * out of DDIM, which then reads
 * {@code x' = D + sqrt(sigma'^2 - c^2) (x - D) / sigma + c z} with {@code c = eta sigma' sqrt(sigma^2 - sigma'^2) / sigma}.
 * With {@code eta = 0} it is Euler in {@code sigma} (Karras et al. 2022, Sec. 3); with {@code eta = 1} each step
 * samples the Gaussian posterior {@code q(x' | x, y = D)}.
 */
final class AncestralSolver {

    private AncestralSolver() {
    }

    static void run(Parameterization p, double[] t, double eta, Batch b) {
        int numSteps = t.length - 1;
        double[] x = b.x;
        int len = x.length;
        double[] denoised = new double[len];
        double[] z = eta > 0 ? new double[len] : null;
        b.scaleInPlace(p.sigma(t[0]));
        for (int i = 0; i < numSteps; i++) {
            double sigma = p.sigma(t[i]);
            double sigmaNext = p.sigma(t[i + 1]);
            b.denoise(x, 1.0, sigma, denoised);
            double c = eta * sigmaNext * Math.sqrt(Math.max(sigma * sigma - sigmaNext * sigmaNext, 0.0)) / sigma;
            double keep = Math.sqrt(Math.max(sigmaNext * sigmaNext - c * c, 0.0)) / sigma;
            if (c > 0) {
                b.gaussians(z);
            }
            for (int j = 0; j < len; j++) {
                x[j] = denoised[j] + keep * (x[j] - denoised[j]) + (c > 0 ? c * z[j] : 0.0);
            }
        }
    }
}
