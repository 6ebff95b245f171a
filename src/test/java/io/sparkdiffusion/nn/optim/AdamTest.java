package io.sparkdiffusion.nn.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Expected values: torch.optim.Adam (torch 1.13) on the same vector and gradients, printed by
 * src/test/python/adam_reference.py (output pasted below).
 */
class AdamTest {
    private static final float TOLERANCE = 2e-6f;

    private static final float[] W0 = {0.5f, -1.0f, 2.0f, 0.0f};
    private static final float[][] GRADS = {{0.1f, -0.2f, 0.3f, 0.0f}, {-0.5f, 0.4f, 1.0f, 2.0f}, {0.05f, 0.05f, -3.0f, 1e-4f}};

    @Test
    void matchesTorchAdamWithoutWeightDecay() {
        float[][] expected = {
                {0.400000006f, -0.899999976f, 1.89999998f, 0.0f},
                {0.45983541f, -0.936610341f, 1.80947649f, -0.0744136795f},
                {0.499629974f, -0.971836925f, 1.84682441f, -0.13193886f}};
        Adam adam = run(new AdamConfig(0.1, 0.9, 0.999, 1e-8, 0), expected);
        assertClose(new float[] {-0.0318999998f, 0.0248000007f, -0.185699999f, 0.180009991f}, adam.firstMoment(), "m");
        assertClose(new float[] {0.000262230024f, 0.000202260053f, 0.01008882f, 0.00399600016f}, adam.secondMoment(), "v");
        assertEquals(3, adam.step());
    }

    @Test
    void weightDecayIsAnL2TermAsInTorchAdam() {
        float[][] expected = {
                {0.400000036f, -0.900000036f, 1.89999998f, 0.0f},
                {0.449986964f, -0.906901538f, 1.80544627f, -0.0744136795f},
                {0.475588083f, -0.906209588f, 1.83312559f, -0.13170068f}};
        Adam adam = run(new AdamConfig(0.1, 0.9, 0.999, 1e-8, 0.1), expected);
        assertClose(new float[] {-0.0197501313f, -0.000469015271f, -0.134345546f, 0.179265857f}, adam.firstMoment(), "m");
        assertClose(new float[] {0.000242868206f, 0.000187479702f, 0.00961351302f, 0.00399605418f}, adam.secondMoment(), "v");
    }

    @Test
    void firstStepMovesEachWeightByLrTimesSignOfGradient() {
        // Hand calculation: m1 = (1 - b1) g, v1 = (1 - b2) g^2, so the step is lr * g / (|g| + eps').
        Adam adam = new Adam(AdamConfig.of(0.01), 2);
        float[] w = {1f, 1f};
        adam.stepInPlace(w, new float[] {5f, -0.001f});
        assertEquals(0.99f, w[0], 1e-6f);
        assertEquals(1.01f, w[1], 1e-6f);
    }

    @Test
    void restoredStateContinuesLikeTheOriginal() {
        AdamConfig config = new AdamConfig(0.1, 0.9, 0.999, 1e-8, 0);
        Adam a = new Adam(config, 4);
        float[] wa = W0.clone();
        a.stepInPlace(wa, GRADS[0].clone());
        Adam b = new Adam(config, 4);
        b.restore(a.firstMoment().clone(), a.secondMoment().clone(), a.step());
        float[] wb = wa.clone();
        a.stepInPlace(wa, GRADS[1].clone());
        b.stepInPlace(wb, GRADS[1].clone());
        assertClose(wa, wb, "weights after restore");
    }

    @Test
    void rejectsBadSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AdamConfig(0, 0.9, 0.999, 1e-8, 0));
        assertEquals("lr must be positive and finite, got 0.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AdamConfig(1e-3, 1.0, 0.999, 1e-8, 0));
        Adam adam = new Adam(AdamConfig.of(1e-3), 4);
        assertThrows(IllegalArgumentException.class, () -> adam.stepInPlace(new float[3], new float[4]));
    }

    private static Adam run(AdamConfig config, float[][] expected) {
        Adam adam = new Adam(config, 4);
        float[] w = W0.clone();
        for (int t = 0; t < GRADS.length; t++) {
            adam.stepInPlace(w, GRADS[t].clone());
            assertClose(expected[t], w, "weights after step " + (t + 1));
        }
        return adam;
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], TOLERANCE * Math.max(1, Math.abs(expected[i])), what + "[" + i + "]");
        }
    }
}
