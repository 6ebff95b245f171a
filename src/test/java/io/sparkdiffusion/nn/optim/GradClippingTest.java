package io.sparkdiffusion.nn.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GradClippingTest {
    private static final float TOLERANCE = 1e-6f;

    @Test
    void scalesToMaxNormAndReturnsTheNormBefore() {
        // ||(3, -4, 0, 12)|| = 13; factor 6.5 / (13 + 1e-6). torch.nn.utils.clip_grad_norm_ gives
        // total=13.0, grad=[1.49999988, -1.99999988, 0.0, 5.99999952] (src/test/python/adam_reference.py).
        float[] g = {3f, -4f, 0f, 12f};
        double total = GradClipping.clipGradNormInPlace(g, 6.5);
        assertEquals(13.0, total, 1e-9);
        assertArrayEquals(new float[] {1.49999988f, -1.99999988f, 0f, 5.99999952f}, g, TOLERANCE);
    }

    @Test
    void leavesSmallGradientsAlone() {
        float[] g = {3f, -4f};
        assertEquals(5.0, GradClipping.clipGradNormInPlace(g, 10), 1e-9);
        assertArrayEquals(new float[] {3f, -4f}, g);
    }

    @Test
    void rejectsNonPositiveMaxNorm() {
        assertThrows(IllegalArgumentException.class, () -> GradClipping.clipGradNormInPlace(new float[1], 0));
    }
}
