package io.sparkdiffusion.diffusion;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The training loss is the lambda-weighted denoiser loss of Eq. 8: fitting a linear network
 * {@code F(cIn x) = a cIn x} per noise level with plain MSE on {@link Parameterization#trainingExample} outputs,
 * on data {@code y ~ N(0, sigmaData^2)}, recovers the optimal linear denoiser
 * {@code D*(x; sigma) = sigmaData^2 / (sigmaData^2 + sigma^2) x} (closed form), for every parameterization.
 */
class LossWeightingTest {

    private static final double SIGMA_DATA = 0.5;
    private static final int EXAMPLES = 100_000;
    /** Absolute error of the fitted denoiser gain; the least-squares standard error is below 0.003 here. */
    private static final double GAIN_TOL = 0.01;
    private static final double[] SIGMAS = {0.05, 0.3, 1.0, 3.0};

    @ParameterizedTest
    @EnumSource(ParameterizationKind.class)
    void recoversOptimalLinearDenoiser(ParameterizationKind kind) {
        Parameterization p = kind.defaults();
        SplittableRandom rng = new SplittableRandom(11);
        float[] y = new float[1];
        float[] n = new float[1];
        float[] in = new float[1];
        float[] target = new float[1];
        for (double sigma : SIGMAS) {
            double sxy = 0;
            double sxx = 0;
            for (int i = 0; i < EXAMPLES; i++) {
                y[0] = (float) (SIGMA_DATA * rng.nextGaussian());
                n[0] = (float) rng.nextGaussian();
                p.trainingExample(y, n, sigma, in, target);
                sxy += (double) in[0] * target[0];
                sxx += (double) in[0] * in[0];
            }
            double a = sxy / sxx;
            Preconditioning c = p.precondition(sigma);
            double gain = c.cSkip() + c.cOut() * a * c.cIn();
            double optimal = SIGMA_DATA * SIGMA_DATA / (SIGMA_DATA * SIGMA_DATA + sigma * sigma);
            assertEquals(optimal, gain, GAIN_TOL, kind.id() + " at sigma = " + sigma);
        }
    }

    @ParameterizedTest
    @EnumSource(ParameterizationKind.class)
    void unitNetworkLossEqualsWeightedDenoiserLoss(ParameterizationKind kind) {
        // lambda(sigma) |D(x) - y|^2 with D = cSkip x + cOut f equals |f - target|^2 for any network output f.
        Parameterization p = kind.defaults();
        SplittableRandom rng = new SplittableRandom(3);
        float[] y = new float[3];
        float[] n = new float[3];
        float[] in = new float[3];
        float[] target = new float[3];
        for (int trial = 0; trial < 50; trial++) {
            double sigma = Math.exp(-3 + 6 * rng.nextDouble());
            for (int j = 0; j < 3; j++) {
                y[j] = (float) rng.nextGaussian();
                n[j] = (float) rng.nextGaussian();
            }
            p.trainingExample(y, n, sigma, in, target);
            Preconditioning c = p.precondition(sigma);
            double weighted = 0;
            double unit = 0;
            for (int j = 0; j < 3; j++) {
                double f = rng.nextGaussian();
                double d = c.cSkip() * (y[j] + sigma * n[j]) + c.cOut() * f;
                weighted += p.lossWeight(sigma) * (d - y[j]) * (d - y[j]);
                unit += (f - target[j]) * (f - target[j]);
            }
            // float32 target: relative error ~1e-7 of the terms.
            assertEquals(weighted, unit, 1e-5 * (1 + weighted), kind.id() + " at sigma = " + sigma);
        }
    }
}
