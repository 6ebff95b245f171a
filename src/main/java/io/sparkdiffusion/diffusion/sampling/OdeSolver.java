package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Parameterization;

/**
 * Euler / Heun on the probability-flow ODE of any {@code sigma(t), s(t)} (Karras et al. 2022, Eq. 4), with the
 * optional churn of Algorithm 2; a port of NVlabs/edm {@code ablation_sampler}, including its generalized
 * second-order step: the second slope is taken at {@code t' = tHat + alpha h} and the step mixes the slopes with
 * weights {@code 1 - 1/(2 alpha)} and {@code 1/(2 alpha)} ({@code alpha = 1}: Heun). With {@code sigma(t) = t,
 * s(t) = 1} (EDM) Heun is Algorithm 1 and Heun with churn is Algorithm 2. The last step, to {@code t = 0}, is an
 * Euler step (after the churn of that level, if any); no noise is added after it.
 *
 * <p>State is scaled: {@code x = s(t) (y + sigma(t) n)}; the slope is
 * {@code dx/dt = (sigma'/sigma + s'/s) x - sigma' s / sigma * D(x / s; sigma)}.
 */
final class OdeSolver {

    private OdeSolver() {
    }

    static void run(Parameterization p, SamplerSettings st, double[] t, Batch b) {
        int numSteps = t.length - 1;
        boolean heun = st.kind() != SamplerKind.EULER;
        boolean churn = st.kind() == SamplerKind.EDM_STOCHASTIC && st.sChurn() > 0;
        double alpha = st.alpha();
        double wCur = 1.0 - 1.0 / (2.0 * alpha);
        double wPrime = 1.0 / (2.0 * alpha);
        double[] x = b.x;
        int len = x.length;
        double[] denoised = new double[len];
        double[] dCur = new double[len];
        double[] xPrime = heun ? new double[len] : null;
        double[] dPrime = heun ? new double[len] : null;
        double[] z = churn ? new double[len] : null;
        b.scaleInPlace(p.sigma(t[0]) * p.s(t[0]));
        for (int i = 0; i < numSteps; i++) {
            double tCur = t[i];
            double tNext = t[i + 1];

            // Increase noise temporarily.
            double tHat = tCur;
            if (churn) {
                double sigmaCur = p.sigma(tCur);
                double gamma = st.sMin() <= sigmaCur && sigmaCur <= st.sMax()
                        ? Math.min(st.sChurn() / numSteps, Math.sqrt(2.0) - 1.0) : 0.0;
                if (gamma > 0) {
                    tHat = p.sigmaInv(sigmaCur + gamma * sigmaCur);
                    double sigmaHat = p.sigma(tHat);
                    double ratio = p.s(tHat) / p.s(tCur);
                    double amp = Math.sqrt(Math.max(sigmaHat * sigmaHat - sigmaCur * sigmaCur, 0.0)) * p.s(tHat)
                            * st.sNoise();
                    b.gaussians(z);
                    for (int j = 0; j < len; j++) {
                        x[j] = ratio * x[j] + amp * z[j];
                    }
                }
            }

            // Euler step.
            double h = tNext - tHat;
            slope(p, tHat, x, b, denoised, dCur);
            if (!heun || i == numSteps - 1) {
                for (int j = 0; j < len; j++) {
                    x[j] += h * dCur[j];
                }
                continue;
            }

            // Apply 2nd order correction.
            // tHat + h rounds to tNext only approximately: at alpha = 1 use tNext itself, as Algorithm 1 does.
            double tPrime = alpha == 1.0 ? tNext : tHat + alpha * h;
            for (int j = 0; j < len; j++) {
                xPrime[j] = x[j] + alpha * h * dCur[j];
            }
            slope(p, tPrime, xPrime, b, denoised, dPrime);
            for (int j = 0; j < len; j++) {
                x[j] += h * (wCur * dCur[j] + wPrime * dPrime[j]);
            }
        }
    }

    /** {@code d = (sigma'/sigma + s'/s) x - sigma' s / sigma * D(x / s; sigma)} at time {@code t}. */
    private static void slope(Parameterization p, double t, double[] x, Batch b, double[] denoised, double[] d) {
        double sigma = p.sigma(t);
        double s = p.s(t);
        double sigmaDeriv = p.sigmaDeriv(t);
        b.denoise(x, s, sigma, denoised);
        double a = sigmaDeriv / sigma + p.sDeriv(t) / s;
        double c = sigmaDeriv * s / sigma;
        for (int j = 0; j < x.length; j++) {
            d[j] = a * x[j] - c * denoised[j];
        }
    }
}
