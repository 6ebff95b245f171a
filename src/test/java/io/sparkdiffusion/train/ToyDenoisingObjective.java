package io.sparkdiffusion.train;

import java.util.SplittableRandom;

/**
 * A test objective with a hand-written gradient: a per-pixel affine denoiser {@code D(u) = a (.) u + b} of
 * {@code u = x + sigma n}, with {@code sigma = exp(N(-1, 1))} and {@code n ~ N(0, I)} per image, and loss
 * {@code mean over batch and pixels of (D(u) - x)^2}. Params: {@code [a (d floats), b (d floats)]}.
 * Small and fast, yet it consumes the step's random stream like the real diffusion objective does.
 */
public final class ToyDenoisingObjective implements Objective {
    private final int imageSize;

    public ToyDenoisingObjective(int imageSize) {
        this.imageSize = imageSize;
    }

    @Override
    public int numParameters() {
        return 2 * imageSize;
    }

    @Override
    public void initialize(float[] params, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < imageSize; i++) {
            params[i] = (float) (1 + 0.1 * random.nextGaussian());
            params[imageSize + i] = (float) (0.1 * random.nextGaussian());
        }
    }

    @Override
    public double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom random) {
        int d = imageSize;
        int n = batch.size();
        java.util.Arrays.fill(grads, 0f);
        double loss = 0;
        double scale = 2.0 / ((double) n * d);
        for (int b = 0; b < n; b++) {
            double sigma = Math.exp(-1 + random.nextGaussian());
            for (int i = 0; i < d; i++) {
                double x = batch.images()[b * d + i];
                double u = x + sigma * random.nextGaussian();
                double r = params[i] * u + params[d + i] - x;
                loss += r * r;
                grads[i] += (float) (scale * r * u);
                grads[d + i] += (float) (scale * r);
            }
        }
        return loss / ((double) n * d);
    }
}
