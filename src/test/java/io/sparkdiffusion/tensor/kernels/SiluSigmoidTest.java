package io.sparkdiffusion.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The rational sigmoid inside {@link Silu} against the closed form 1 / (1 + e^-x) in double. */
class SiluSigmoidTest {
    /** The documented bound of the float approximation: 3e-7 absolute (a few float ulps at 1). */
    private static final double SIGMOID_ABS_TOLERANCE = 3e-7;

    @Test
    void sigmoidIsWithinTheDocumentedAbsoluteErrorEverywhere() {
        double worst = 0.0;
        for (int i = -400_000; i <= 400_000; i++) {
            float x = i * 1e-4f;
            double exact = 1.0 / (1.0 + Math.exp(-(double) x));
            worst = Math.max(worst, Math.abs(Silu.sigmoid(x) - exact));
        }
        for (float x : new float[] {-1e30f, -1000f, -88f, 88f, 1000f, 1e30f}) {
            double exact = 1.0 / (1.0 + Math.exp(-(double) x));
            worst = Math.max(worst, Math.abs(Silu.sigmoid(x) - exact));
        }
        assertTrue(worst <= SIGMOID_ABS_TOLERANCE, "worst absolute error " + worst);
    }

    @Test
    void sigmoidIsSymmetricAndPropagatesNaN() {
        assertEquals(0.5f, Silu.sigmoid(0f), 0f);
        for (float x : new float[] {0.1f, 1f, 3f, 10f}) {
            assertEquals(1.0, Silu.sigmoid(x) + Silu.sigmoid(-x), 1e-7, "s(x) + s(-x) at " + x);
        }
        assertTrue(Float.isNaN(Silu.sigmoid(Float.NaN)));
    }
}
