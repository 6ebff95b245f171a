package io.sparkdiffusion.train;

/**
 * The exponential moving average of the weights with a half-life in images (Karras et al. 2022, Appendix F.3):
 * {@code ema <- beta ema + (1 - beta) w} with {@code beta = 0.5^(images / halfLifeImages)}.
 */
public final class Ema {

    private Ema() {
    }

    /** The decay after {@code images} trained images; a half-life of 0 forgets everything (beta = 0). */
    public static double beta(long images, double halfLifeImages) {
        return halfLifeImages == 0 ? 0 : Math.pow(0.5, images / halfLifeImages);
    }

    /** Moves {@code ema} towards {@code weights} after {@code images} trained images, in place. */
    public static void updateInPlace(float[] ema, float[] weights, long images, double halfLifeImages) {
        float beta = (float) beta(images, halfLifeImages);
        float oneMinus = 1 - beta;
        for (int i = 0; i < ema.length; i++) {
            ema[i] = beta * ema[i] + oneMinus * weights[i];
        }
    }
}
