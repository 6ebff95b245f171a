package io.sparkdiffusion.train;

import io.sparkdiffusion.diffusion.LossWeighting;
import io.sparkdiffusion.diffusion.ParameterizationKind;
import io.sparkdiffusion.diffusion.TrainingSigma;
import io.sparkdiffusion.diffusion.VeParameterization;
import io.sparkdiffusion.diffusion.VpParameterization;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.PreconditioningKind;
import io.sparkdiffusion.model.UNetDenoiser;
import io.sparkdiffusion.nn.unet.UNetConfig;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiffusionObjectiveTest {
    private static final float FD_STEP = 1e-2f;
    /** Float32 network, central differences: a loose relative bound. */
    private static final double FD_REL_TOL = 0.05;

    private static Batch batch(UNetConfig spec, int n) {
        return ToyData.shard(n, spec.imageSize(), spec.numClasses(), 3).select(java.util.stream.IntStream.range(0, n).toArray());
    }

    /** The gradient's largest entries against central differences of the loss with the same random draws. */
    @Test
    void gradientMatchesFiniteDifferences() {
        UNetConfig spec = TinyNets.tiny(2);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.EDM.defaults(), 0.5);
        float[] w = new float[obj.numParameters()];
        obj.initialize(w, 1);
        Batch b = batch(spec, 3);
        float[] g = new float[w.length];
        obj.lossAndGradient(w, g, b, new SplittableRandom(4));
        int[] top = largest(g, 5);
        for (int i : top) {
            float[] plus = w.clone();
            float[] minus = w.clone();
            plus[i] += FD_STEP;
            minus[i] -= FD_STEP;
            double lp = obj.lossAndGradient(plus, new float[w.length], b, new SplittableRandom(4));
            double lm = obj.lossAndGradient(minus, new float[w.length], b, new SplittableRandom(4));
            double fd = (lp - lm) / (plus[i] - minus[i]);
            assertEquals(fd, g[i], FD_REL_TOL * Math.abs(fd), "parameter " + i);
        }
    }

    @Test
    void sameSeedSameLossOtherSeedOtherLoss() {
        UNetConfig spec = TinyNets.tiny(0);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.FLOW.defaults(), 0);
        float[] w = new float[obj.numParameters()];
        obj.initialize(w, 1);
        Batch b = batch(spec, 2);
        double a = obj.lossAndGradient(w, new float[w.length], b, new SplittableRandom(7));
        double a2 = obj.lossAndGradient(w, new float[w.length], b, new SplittableRandom(7));
        double c = obj.lossAndGradient(w, new float[w.length], b, new SplittableRandom(8));
        assertEquals(a, a2, 0.0);
        assertTrue(a != c);
    }

    /** Float32 network against a double re-computation of the same draws. */
    private static final double WEIGHTED_LOSS_REL_TOL = 1e-4;

    /**
     * VP and VE with EDM's lambda: the objective's loss is Eq. 8 in denoiser space, {@code mean lambda(sigma)
     * |D(y + sigma n; sigma) - y|^2} with {@code lambda = (sigma^2 + 0.25) / (0.25 sigma^2)} written out here, D from
     * the same weights through the sampler's denoiser, and the draws (sigma, then n) replayed from the same seed.
     */
    @Test
    void edmWeightedLossIsEquationEightInDenoiserSpace() {
        UNetConfig spec = TinyNets.tiny(0);
        Parameterization[] params = {
                new VpParameterization(19.9, 0.1, 1e-5, 1e-3, 1000, TrainingSigma.LOG_NORMAL, -1.2, 1.2,
                        LossWeighting.EDM, 0.5, PreconditioningKind.PAPER),
                new VeParameterization(0.02, 100, TrainingSigma.LOG_NORMAL, -1.2, 1.2, LossWeighting.EDM, 0.5, PreconditioningKind.PAPER)};
        for (Parameterization p : params) {
            DiffusionObjective obj = new DiffusionObjective(spec, p, 0);
            float[] w = new float[obj.numParameters()];
            obj.initialize(w, 1);
            int n = 4;
            int dim = spec.imageSize();
            Batch b = batch(spec, n);
            double loss = obj.lossAndGradient(w, new float[w.length], b, new SplittableRandom(11));

            SplittableRandom replay = new SplittableRandom(11);
            double[] x = new double[n * dim];
            double[] sigma = new double[n];
            for (int i = 0; i < n; i++) {
                sigma[i] = p.sampleTrainingSigma(replay);
                for (int j = 0; j < dim; j++) {
                    x[i * dim + j] = b.images()[i * dim + j] + sigma[i] * (double) (float) replay.nextGaussian();
                }
            }
            double[] d = new double[n * dim];
            new UNetDenoiser(spec, p, w).denoise(x, sigma, null, n, dim, d);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                double lambda = (sigma[i] * sigma[i] + 0.25) / (0.25 * sigma[i] * sigma[i]);
                for (int j = 0; j < dim; j++) {
                    double e = d[i * dim + j] - b.images()[i * dim + j];
                    sum += lambda * e * e;
                }
            }
            double expected = sum / (n * dim);
            assertEquals(expected, loss, WEIGHTED_LOSS_REL_TOL * expected, p.kind().id());
        }
    }

    private static int[] largest(float[] g, int k) {
        return java.util.stream.IntStream.range(0, g.length).boxed()
                .sorted((x, y) -> Float.compare(Math.abs(g[y]), Math.abs(g[x]))).limit(k).mapToInt(Integer::intValue)
                .toArray();
    }
}
