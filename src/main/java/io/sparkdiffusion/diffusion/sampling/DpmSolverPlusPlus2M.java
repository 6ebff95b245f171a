package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Parameterization;

/**
 * DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2), data prediction, multistep, in the unscaled variable
 * {@code x / s(t)} with {@code lambda = -ln sigma} and {@code h_i = lambda_{i+1} - lambda_i}:
 * {@code x_{i+1} = (sigma_{i+1} / sigma_i) x_i - expm1(-h_i) D_i'} with
 * {@code D_i' = (1 + 1/(2 r)) D_i - 1/(2 r) D_{i-1}}, {@code r = h_{i-1} / h_i}; the first step is 1st order and the
 * step to {@code sigma = 0} returns {@code D} (as k-diffusion's {@code sample_dpmpp_2m}).
 */
final class DpmSolverPlusPlus2M {

    private DpmSolverPlusPlus2M() {
    }

    static void run(Parameterization p, double[] t, Batch b) {
        int numSteps = t.length - 1;
        double[] x = b.x;
        int len = x.length;
        double[] denoised = new double[len];
        double[] oldDenoised = new double[len];
        b.scaleInPlace(p.sigma(t[0]));
        for (int i = 0; i < numSteps; i++) {
            double sigma = p.sigma(t[i]);
            double sigmaNext = p.sigma(t[i + 1]);
            b.denoise(x, 1.0, sigma, denoised);
            if (sigmaNext == 0) {
                System.arraycopy(denoised, 0, x, 0, len);
                continue;
            }
            double h = Math.log(sigma / sigmaNext);
            double ratio = sigmaNext / sigma;
            double mix = -Math.expm1(-h);
            if (i == 0) {
                for (int j = 0; j < len; j++) {
                    x[j] = ratio * x[j] + mix * denoised[j];
                }
            } else {
                double hLast = Math.log(p.sigma(t[i - 1]) / sigma);
                double r = hLast / h;
                double a = 1.0 + 1.0 / (2.0 * r);
                double bOld = 1.0 / (2.0 * r);
                for (int j = 0; j < len; j++) {
                    x[j] = ratio * x[j] + mix * (a * denoised[j] - bOld * oldDenoised[j]);
                }
            }
            double[] swap = oldDenoised;
            oldDenoised = denoised;
            denoised = swap;
        }
    }
}
