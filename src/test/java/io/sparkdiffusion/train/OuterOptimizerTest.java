package io.sparkdiffusion.train;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outer step against hand calculations (cross-checked with torch.optim.SGD(nesterov=True)). */
class OuterOptimizerTest {
    /** One float rounding of a result near 0.33 (the DiLoCo-defaults case is not dyadic). */
    private static final double FLOAT_ROUNDING = 1e-7;

    /**
     * Two rounds with lr = 0.5, mu = 0.5, numbers chosen dyadic so every value is exact in float:
     * <pre>
     * round 1: before = [1, -2, 0.5, 4], mean = [0.5, -1, 0.5, 5], v = 0
     *   delta = before - mean          = [0.5, -1, 0, -1]
     *   v1    = 0.5 * 0 + delta        = [0.5, -1, 0, -1]
     *   p1    = before - 0.5 (delta + 0.5 v1) = before - 0.75 delta = [0.625, -1.25, 0.5, 4.75]
     * round 2: before = p1, mean = [0.125, -1.25, 1.5, 4.75]
     *   delta = [0.5, 0, -1, 0]
     *   v2    = 0.5 v1 + delta         = [0.25, -0.5, 0, -0.5] + delta = [0.75, -0.5, -1, -0.5]
     *   p2    = p1 - 0.5 (delta + 0.5 v2) = p1 - 0.5 [0.875, -0.25, -1.5, -0.25]
     *         = p1 - [0.4375, -0.125, -0.75, -0.125] = [0.1875, -1.125, 1.25, 4.875]
     * </pre>
     * torch.optim.SGD([p], lr=0.5, momentum=0.5, nesterov=True) with p.grad = p - mean gives the same p1, p2 and
     * momentum buffers.
     */
    @Test
    void twoNesterovRoundsMatchTheHandCalculation() {
        OuterOptimizer outer = new OuterOptimizer.Nesterov(0.5, 0.5);
        float[] before = {1f, -2f, 0.5f, 4f};
        OuterOptimizer.Step r1 = outer.step(before, new float[]{0.5f, -1f, 0.5f, 5f}, new float[4], 0.25);
        assertArrayEquals(new float[]{0.625f, -1.25f, 0.5f, 4.75f}, r1.params());
        assertArrayEquals(new float[]{0.5f, -1f, 0f, -1f}, r1.momentum());
        OuterOptimizer.Step r2 = outer.step(r1.params(), new float[]{0.125f, -1.25f, 1.5f, 4.75f}, r1.momentum(), 0.125);
        assertArrayEquals(new float[]{0.1875f, -1.125f, 1.25f, 4.875f}, r2.params());
        assertArrayEquals(new float[]{0.75f, -0.5f, -1f, -0.5f}, r2.momentum());
    }

    /**
     * The same two rounds following the schedule (SlowMo's scaling), with the rounds' inner rates 0.5 then 0.25:
     * <pre>
     * round 1, gamma = 0.5:  g = delta / gamma = [1, -2, 0, -2], v1 = g
     *   p1 = before - 0.5 * 0.5 (g + 0.5 v1) = before - 0.375 g = [0.625, -1.25, 0.5, 4.75]   (DiLoCo's p1: the
     *   rate cancels in a first round)
     * round 2, gamma = 0.25: delta = [0.5, 0, -1, 0], g = [2, 0, -4, 0]
     *   v2 = 0.5 v1 + g = [2.5, -1, -4, -1]
     *   p2 = p1 - 0.5 * 0.25 (g + 0.5 v2) = p1 - 0.125 [3.25, -0.5, -6, -0.5] = [0.21875, -1.1875, 1.25, 4.8125]
     * </pre>
     * against DiLoCo's [0.1875, -1.125, 1.25, 4.875]: round 1's change, made at twice round 2's rate, moves the
     * weights half as far in round 2.
     */
    @Test
    void followingTheScheduleScalesTheMomentumByTheRoundsRate() {
        OuterOptimizer outer = OuterOptimizer.parse("nesterov", 0.5, 0.5, true);
        float[] before = {1f, -2f, 0.5f, 4f};
        OuterOptimizer.Step r1 = outer.step(before, new float[]{0.5f, -1f, 0.5f, 5f}, new float[4], 0.5);
        assertArrayEquals(new float[]{0.625f, -1.25f, 0.5f, 4.75f}, r1.params());
        assertArrayEquals(new float[]{1f, -2f, 0f, -2f}, r1.momentum());
        OuterOptimizer.Step r2 = outer.step(r1.params(), new float[]{0.125f, -1.25f, 1.5f, 4.75f}, r1.momentum(), 0.25);
        assertArrayEquals(new float[]{0.21875f, -1.1875f, 1.25f, 4.8125f}, r2.params());
        assertArrayEquals(new float[]{2.5f, -1f, -4f, -1f}, r2.momentum());
        var rate = assertThrows(IllegalArgumentException.class,
                () -> outer.step(new float[1], new float[1], new float[1], 0.0));
        assertTrue(rate.getMessage().contains("inner learning rate must be finite and > 0, got 0.0"),
                rate.getMessage());
    }

    /** DiLoCo's defaults on delta = 1 from zero momentum: v = 1, p = 1 - 0.7 (1 + 0.9) = -0.33 (torch: -0.33 too). */
    @Test
    void dilocoDefaultsOnAUnitDelta() {
        OuterOptimizer outer = OuterOptimizer.parse("nesterov", OuterOptimizer.DILOCO_LEARNING_RATE,
                OuterOptimizer.DILOCO_MOMENTUM);
        OuterOptimizer.Step s = outer.step(new float[]{1f}, new float[]{0f}, new float[]{0f}, 1e-3);
        assertEquals(-0.33, s.params()[0], FLOAT_ROUNDING);
        assertEquals(1f, s.momentum()[0]);
    }

    /** lr 1, mu 0: before - (before - mean) is mean exactly (the difference of two floats is exact in double). */
    @Test
    void unitRateWithoutMomentumIsPlainAveraging() {
        SplittableRandom random = new SplittableRandom(5);
        float[] before = new float[1000];
        float[] mean = new float[1000];
        for (int i = 0; i < before.length; i++) {
            before[i] = (float) random.nextGaussian();
            mean[i] = (float) (before[i] + 0.01 * random.nextGaussian());
        }
        OuterOptimizer.Step s = new OuterOptimizer.Nesterov(1.0, 0.0).step(before, mean, new float[1000], 1e-3);
        assertArrayEquals(mean, s.params());
    }

    @Test
    void averageTakesTheMeanAndKeepsNoMomentum() {
        float[] mean = {3f, 4f};
        OuterOptimizer.Step s = OuterOptimizer.AVERAGE.step(new float[]{1f, 2f}, mean, null, 1e-3);
        assertSame(mean, s.params());
        assertNull(s.momentum());
    }

    @Test
    void theInputsAreNeverWritten() {
        float[] before = {1f, 2f};
        float[] mean = {0f, 0f};
        float[] v = {1f, -1f};
        new OuterOptimizer.Nesterov(0.7, 0.9, true).step(before, mean, v, 1e-3);
        assertArrayEquals(new float[]{1f, 2f}, before);
        assertArrayEquals(new float[]{0f, 0f}, mean);
        assertArrayEquals(new float[]{1f, -1f}, v);
    }

    @Test
    void badSettingsAndShapesAreNamed() {
        var name = assertThrows(IllegalArgumentException.class, () -> OuterOptimizer.parse("adam", 0.7, 0.9));
        assertTrue(name.getMessage().contains("[average, nesterov]") && name.getMessage().contains("'adam'"),
                name.getMessage());
        var lr = assertThrows(IllegalArgumentException.class, () -> new OuterOptimizer.Nesterov(0, 0.9));
        assertTrue(lr.getMessage().startsWith("outerLearningRate"), lr.getMessage());
        var mu = assertThrows(IllegalArgumentException.class, () -> new OuterOptimizer.Nesterov(0.7, 1.0));
        assertTrue(mu.getMessage().startsWith("outerMomentum"), mu.getMessage());
        var v = assertThrows(IllegalArgumentException.class,
                () -> new OuterOptimizer.Nesterov(0.7, 0.9).step(new float[2], new float[2], new float[3], 1e-3));
        assertTrue(v.getMessage().contains("expected 2 floats, got 3"), v.getMessage());
        assertEquals("average", OuterOptimizer.parse(" Average ", 0.7, 0.9).settingName());
    }
}
