package io.sparkdiffusion.diffusion;

import java.util.SplittableRandom;

/**
 * The forward process of a parameterization for one row: {@code x_t = s(t) (y + sigma(t) n)}, {@code n ~ N(0, I)},
 * with {@code t} given or drawn from the training distribution; every draw comes from the row's own seed, so the
 * result does not depend on partitioning. Used by the ForwardNoiser Spark stage.
 *
 * <p>Draw order from {@code new SplittableRandom(seed)}: the training {@code sigma} (only when {@code t} is not
 * given), then {@code n} in index order.
 */
public final class ForwardNoising {

    private ForwardNoising() {
    }

    /**
     * One noised row and its regression target.
     *
     * @param t        time
     * @param sigma    {@code sigma(t)}
     * @param cNoise   noise conditioning of the network at {@code sigma}
     * @param xt       {@code s(t) (y + sigma n)}
     * @param noise    the unit noise {@code n}
     * @param netInput {@code cIn (y + sigma n)}, what the raw network sees
     * @param target   {@code (y - cSkip (y + sigma n)) / cOut}, what the raw network regresses
     */
    public record Noised(double t, double sigma, double cNoise, float[] xt, float[] noise, float[] netInput,
                         float[] target) {
    }

    /**
     * Noises {@code y} at time {@code t} ({@code sigma(t) > 0} and finite).
     *
     * @throws IllegalArgumentException if {@code sigma(t)} is not finite and positive
     */
    public static Noised atTime(Parameterization p, float[] y, double t, long seed) {
        double sigma = p.sigma(t);
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("t must give a finite sigma(t) > 0 for " + p.kind().id() + ", got t = "
                    + t + " (sigma = " + sigma + ")");
        }
        return noise(p, y, t, sigma, new SplittableRandom(seed));
    }

    /** Noises {@code y} at a noise level drawn from the training distribution of {@code p}. */
    public static Noised atTrainingLevel(Parameterization p, float[] y, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double sigma = p.sampleTrainingSigma(rng);
        return noise(p, y, p.sigmaInv(sigma), sigma, rng);
    }

    private static Noised noise(Parameterization p, float[] y, double t, double sigma, SplittableRandom rng) {
        int dim = y.length;
        float[] n = new float[dim];
        for (int j = 0; j < dim; j++) {
            n[j] = (float) rng.nextGaussian();
        }
        float[] netInput = new float[dim];
        float[] target = new float[dim];
        double cNoise = p.trainingExample(y, n, sigma, netInput, target);
        double s = p.s(t);
        float[] xt = new float[dim];
        for (int j = 0; j < dim; j++) {
            xt[j] = (float) (s * (y[j] + sigma * (double) n[j]));
        }
        return new Noised(t, sigma, cNoise, xt, n, netInput, target);
    }
}
