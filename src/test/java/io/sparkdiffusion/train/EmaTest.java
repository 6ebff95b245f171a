package io.sparkdiffusion.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class EmaTest {
    private static final float TOL = 1e-6f;

    /** After exactly one half-life of images the average has moved halfway: 0.5 * 0 + 0.5 * 4 = 2. */
    @Test
    void oneHalfLifeMovesHalfway() {
        float[] ema = {0f, 8f};
        Ema.updateInPlace(ema, new float[] {4f, 0f}, 100, 1000, 100, 0);
        assertArrayEquals(new float[] {2f, 4f}, ema, TOL);
    }

    /** Ramp-up: with 200 images seen and ratio 0.5 the half-life is min(1000, 100) = 100 images. */
    @Test
    void rampupShortensTheHalfLifeEarlyOn() {
        float[] ema = {0f};
        Ema.updateInPlace(ema, new float[] {4f}, 100, 200, 1000, 0.5);
        assertArrayEquals(new float[] {2f}, ema, TOL);
    }

    @Test
    void zeroHalfLifeCopiesTheWeights() {
        float[] ema = {1f, 2f};
        Ema.updateInPlace(ema, new float[] {3f, 4f}, 10, 10, 0, 0);
        assertArrayEquals(new float[] {3f, 4f}, ema);
    }
}
