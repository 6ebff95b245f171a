package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Parameterization;

/**
 * Flow Matching / rectified flow sampling in {@code t} (Liu et al. 2023): {@code dx_t/dt = v(x_t, t)} with the
 * velocity {@code v = (x_t - D(x_t / (1 - t); t / (1 - t))) / t}, i.e. the network's output {@code n - y}. Euler, or
 * Heun with the last step (to {@code t = 0}) Euler. Starts from {@code x = t_0 n}, which is {@code x_{t_0}} up to
 * the {@code (1 - t_0) y} term, as EDM starts from {@code sigmaMax n}. Mathematically the same ODE as
 * {@link OdeSolver} with the flow parameterization, written in the velocity form of the flow literature.
 */
final class FlowSolver {

    private FlowSolver() {
    }

    static void run(Parameterization p, boolean heun, double[] t, Batch b) {
        int numSteps = t.length - 1;
        double[] x = b.x;
        int len = x.length;
        double[] denoised = new double[len];
        double[] v = new double[len];
        double[] xPrime = heun ? new double[len] : null;
        double[] vPrime = heun ? new double[len] : null;
        b.scaleInPlace(p.sigma(t[0]) * p.s(t[0]));
        for (int i = 0; i < numSteps; i++) {
            double h = t[i + 1] - t[i];
            velocity(p, t[i], x, b, denoised, v);
            if (!heun || i == numSteps - 1) {
                for (int j = 0; j < len; j++) {
                    x[j] += h * v[j];
                }
                continue;
            }
            for (int j = 0; j < len; j++) {
                xPrime[j] = x[j] + h * v[j];
            }
            velocity(p, t[i + 1], xPrime, b, denoised, vPrime);
            for (int j = 0; j < len; j++) {
                x[j] += h * 0.5 * (v[j] + vPrime[j]);
            }
        }
    }

    private static void velocity(Parameterization p, double t, double[] x, Batch b, double[] denoised, double[] v) {
        b.denoise(x, p.s(t), p.sigma(t), denoised);
        double inv = 1.0 / t;
        for (int j = 0; j < x.length; j++) {
            v[j] = (x[j] - denoised[j]) * inv;
        }
    }
}
