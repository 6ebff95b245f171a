package io.sparkdiffusion.nn.optim;

import java.util.Locale;

/**
 * Exponential moving average of the weights, parameterized as in EDM's training loop (Karras et al. 2022,
 * {@code ema_halflife_kimg}, {@code ema_rampup_ratio}): after each step of {@code batch} images,
 * <pre>
 *   halfLife = min(halfLifeImages, imagesSeen * rampupRatio)      (no ramp-up when rampupRatio = 0)
 *   beta     = 0.5^(batch / max(halfLife, 1e-8))
 *   ema      = beta ema + (1 - beta) w
 * </pre>
 * so the average forgets half of its past every {@code halfLifeImages} images, whatever the batch size. The
 * training loops keep the average as a plain array and call {@link #updateInPlace(float[], float[], long, long,
 * double, double)} once per round; an instance holds its own copy.
 */
public final class Ema {
    private final double halfLifeImages;
    private final double rampupRatio;
    private final float[] ema;

    /**
     * @param initialWeights the weights the average starts from (copied)
     * @param halfLifeImages the half-life in images, {@code > 0} (EDM: 500k images)
     * @param rampupRatio    EDM's ramp-up: the half-life is at most this fraction of the images seen; 0 disables it
     */
    public Ema(float[] initialWeights, double halfLifeImages, double rampupRatio) {
        checkSettings(halfLifeImages, rampupRatio);
        this.halfLifeImages = halfLifeImages;
        this.rampupRatio = rampupRatio;
        this.ema = initialWeights.clone();
    }

    /**
     * Moves {@code ema} towards {@code weights} in place after {@code images} images (a round, or a step), with
     * {@code imagesSeen} images trained so far. A half-life of 0 disables the average: the EMA becomes the weights.
     */
    public static void updateInPlace(float[] ema, float[] weights, long images, long imagesSeen, double halfLifeImages,
                                     double rampupRatio) {
        if (halfLifeImages == 0) {
            System.arraycopy(weights, 0, ema, 0, ema.length);
            return;
        }
        checkSettings(halfLifeImages, rampupRatio);
        if (images > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a round of " + images + " images is too large for one EMA update");
        }
        blendInPlace(ema, weights, beta(halfLifeImages, rampupRatio, (int) images, imagesSeen));
    }

    /**
     * The warning for a half-life shorter than one round, or null. The distributed trainer folds the averaged
     * weights in once per round of {@code roundImages} images, so each update keeps {@code 0.5^(roundImages /
     * halfLifeImages)} of the average's past: under one round's images that is less than half, and the average is
     * little more than the last round's weights (measured in docs/scaling-partitions.md, "A longer EMA for long
     * rounds"). Null when the half-life is 0 (no average) or spans a round or more. Two or more rounds are better
     * still (the documented advice); the warning is for an average that has all but stopped averaging.
     */
    public static String roundWarning(double halfLifeImages, long roundImages) {
        if (roundImages < 1) {
            throw new IllegalArgumentException("roundImages must be >= 1, got " + roundImages);
        }
        if (halfLifeImages == 0 || halfLifeImages >= roundImages) {
            return null;
        }
        double kept = beta(halfLifeImages, 0, roundImages, 0); // no ramp-up: the steady state of a long run
        return String.format(Locale.ROOT, "emaHalfLifeImages %,.0f is shorter than one round of %,d images "
                + "(localSteps x the images of all partitions' steps): the EMA, updated once per round, keeps %.0f %% "
                + "of its past at each update and holds little more than the last round's weights; set "
                + "emaHalfLifeImages to %,d or more", halfLifeImages, roundImages, 100 * kept, 2 * roundImages);
    }

    private static void checkSettings(double halfLifeImages, double rampupRatio) {
        if (!(halfLifeImages > 0) || Double.isInfinite(halfLifeImages)) {
            throw new IllegalArgumentException("halfLifeImages must be positive and finite, got " + halfLifeImages);
        }
        if (!(rampupRatio >= 0) || Double.isInfinite(rampupRatio)) {
            throw new IllegalArgumentException("rampupRatio must be >= 0 and finite (0 = no ramp-up), got " + rampupRatio);
        }
    }

    /** The decay {@code beta} applied after a step of {@code batch} images with {@code imagesSeen} images seen so far. */
    public double beta(int batch, long imagesSeen) {
        return beta(halfLifeImages, rampupRatio, batch, imagesSeen);
    }

    private static double beta(double halfLifeImages, double rampupRatio, long batch, long imagesSeen) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        double halfLife = halfLifeImages;
        if (rampupRatio > 0) {
            halfLife = Math.min(halfLife, imagesSeen * rampupRatio);
        }
        return Math.pow(0.5, batch / Math.max(halfLife, 1e-8));
    }

    /** {@code ema = beta ema + (1 - beta) w}, in float32 as the weights are. */
    private static void blendInPlace(float[] ema, float[] weights, double beta) {
        if (weights.length != ema.length) {
            throw new IllegalArgumentException("weights: expected " + ema.length + " floats, got " + weights.length);
        }
        float b = (float) beta;
        float a = (float) (1 - beta);
        for (int i = 0; i < ema.length; i++) {
            ema[i] = b * ema[i] + a * weights[i];
        }
    }

    /**
     * Folds {@code weights} into the average after a step of {@code batch} images.
     *
     * @param imagesSeen images trained on so far, this step included (only used by the ramp-up)
     * @return the beta used
     */
    public double updateInPlace(float[] weights, int batch, long imagesSeen) {
        if (weights.length != ema.length) {
            throw new IllegalArgumentException("weights: expected " + ema.length + " floats, got " + weights.length);
        }
        double beta = beta(batch, imagesSeen);
        blendInPlace(ema, weights, beta);
        return beta;
    }

    /** The averaged weights (live array; copy before handing out for long). */
    public float[] weights() {
        return ema;
    }

    /** Replaces the average (e.g. loaded from a checkpoint or averaged across partitions); copied. */
    public void restore(float[] weights) {
        if (weights.length != ema.length) {
            throw new IllegalArgumentException("weights: expected " + ema.length + " floats, got " + weights.length);
        }
        System.arraycopy(weights, 0, ema, 0, ema.length);
    }

    public double halfLifeImages() {
        return halfLifeImages;
    }

    public double rampupRatio() {
        return rampupRatio;
    }
}
