package io.sparkdiffusion.train;

/**
 * The EMA of the weights, updated once per round (Karras et al. 2022, Appendix F.3; the rule is
 * {@link io.sparkdiffusion.nn.optim.Ema}'s): after a round of {@code images} images, with {@code imagesSeen}
 * images trained so far,
 * {@code halfLife = min(halfLifeImages, imagesSeen * rampupRatio)}, {@code beta = 0.5^(images / halfLife)},
 * {@code ema <- beta ema + (1 - beta) w}. A half-life of 0 disables the average: the EMA is the weights.
 */
public final class Ema {

    private Ema() {
    }

    /** Moves {@code ema} towards {@code weights} in place. */
    public static void updateInPlace(float[] ema, float[] weights, long images, long imagesSeen, double halfLifeImages,
                                     double rampupRatio) {
        if (halfLifeImages == 0) {
            System.arraycopy(weights, 0, ema, 0, ema.length);
            return;
        }
        if (images > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a round of " + images + " images is too large for one EMA update");
        }
        var average = new io.sparkdiffusion.nn.optim.Ema(ema, halfLifeImages, rampupRatio);
        average.updateInPlace(weights, (int) images, imagesSeen);
        System.arraycopy(average.weights(), 0, ema, 0, ema.length);
    }
}
