package io.sparkdiffusion.nn.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EmaTest {
    private static final double TOLERANCE = 1e-5;
    private static final float TOL = 1e-6f;

    @Test
    void halvesTheDistanceEveryHalfLife() {
        // Closed form: a constant target w pulls the average as ema_k = w + (ema_0 - w) 0.5^(k batch / halfLife).
        Ema ema = new Ema(new float[] {0f, 8f}, 1000, 0);
        float[] w = {1f, 0f};
        for (int k = 1; k <= 40; k++) {
            ema.updateInPlace(w, 50, 50L * k);
            double decay = Math.pow(0.5, k * 50 / 1000.0);
            assertEquals(1 - decay, ema.weights()[0], TOLERANCE, "step " + k);
            assertEquals(8 * decay, ema.weights()[1], 8 * TOLERANCE, "step " + k);
        }
        assertEquals(0.75, ema.weights()[0], TOLERANCE, "2000 images = two half-lives: 1 - 0.5^2");
    }

    @Test
    void betaMatchesEdmFormulaWithRampup() {
        Ema ema = new Ema(new float[1], 500_000, 0.05);
        // Early: half-life = min(500k, 0.05 * 10_000) = 500 images; beta = 0.5^(64 / 500).
        assertEquals(Math.pow(0.5, 64 / 500.0), ema.beta(64, 10_000), 1e-12);
        // Late: the configured half-life applies.
        assertEquals(Math.pow(0.5, 64 / 500_000.0), ema.beta(64, 100_000_000), 1e-12);
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new Ema(new float[1], 0, 0));
        Ema ema = new Ema(new float[2], 10, 0);
        assertThrows(IllegalArgumentException.class, () -> ema.updateInPlace(new float[3], 1, 1));
    }

    // The in-place form the training loops use, once per round (formerly train.Ema).

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

    @Test
    void warnsWhenTheHalfLifeIsShorterThanARound() {
        // rounds of 100 steps x 64 images = 6,400; half-life 5,000: each update keeps 0.5^(6400/5000) = 0.4118
        String warning = Ema.roundWarning(5000, 6400);
        assertTrue(warning.contains("emaHalfLifeImages 5,000"), warning);
        assertTrue(warning.contains("one round of 6,400 images"), warning);
        assertTrue(warning.contains("keeps 41 %"), warning);
        assertTrue(warning.contains("12,800 or more"), warning);
        assertNull(Ema.roundWarning(6400, 6400), "exactly one round: each update keeps half");
        assertTrue(Ema.roundWarning(6399, 6400).contains("keeps 50 %"), "0.5^(6400/6399) = 0.49995");
        assertNull(Ema.roundWarning(5000, 1280), "rounds of 20 steps x 64 images");
        assertNull(Ema.roundWarning(0, 6400), "no EMA, nothing to warn about");
        assertThrows(IllegalArgumentException.class, () -> Ema.roundWarning(5000, 0));
    }
}
