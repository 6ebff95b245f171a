package io.sparkdiffusion.nn.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Optimizer.Lookahead}: DiLoCo's outer step every {@code interval} inner steps, by hand. */
class LookaheadTest {
    private static final float TOL = 1e-6f;
    private static final float[] GRADS = {0.5f, 1f};
    private static final Optimizer.Lookahead EVERY_TWO = new Optimizer.Lookahead(new Optimizer.Sgd(), 2, 0.7, 0.9,
            false);

    private static void steps(Optimizer.Stepper s, float[] p, int n) {
        for (int k = 0; k < n; k++) {
            s.stepInPlace(p, GRADS.clone(), 0.1);
        }
    }

    /**
     * SGD at rate 0.1 with the gradient (0.5, 1) from (1, -2), the outer step every 2 steps at lr 0.7, mu 0.9.
     * Steps 1, 2: (0.95, -2.1), (0.9, -2.2); outer: delta = anchor - p = (0.1, 0.2), v = delta,
     * p = anchor - 0.7 (delta + 0.9 v) = (1 - 0.133, -2 - 0.266) = (0.867, -2.266), the new anchor.
     * Steps 3, 4: (0.817, -2.366), (0.767, -2.466); outer: delta = (0.1, 0.2), v = 0.9 (0.1, 0.2) + delta =
     * (0.19, 0.38), p = (0.867 - 0.7 (0.1 + 0.171), -2.266 - 0.7 (0.2 + 0.342)) = (0.6773, -2.6454).
     */
    @Test
    void everySecondStepTakesDilocosOuterStep() {
        float[] p = {1f, -2f};
        Optimizer.Stepper s = EVERY_TWO.resume(new float[EVERY_TWO.stateSize(2)], 0, 2, 0.1);
        steps(s, p, 1);
        assertArrayEquals(new float[] {0.95f, -2.1f}, p, TOL, "an inner step only");
        steps(s, p, 1);
        assertArrayEquals(new float[] {0.867f, -2.266f}, p, TOL, "the first outer step");
        steps(s, p, 2);
        assertArrayEquals(new float[] {0.6773f, -2.6454f}, p, TOL, "the second outer step, with momentum");
        // State: [no SGD state, anchor (2), v (2), 1 + steps since the anchor].
        assertArrayEquals(new float[] {0.6773f, -2.6454f, 0.19f, 0.38f, 1f}, s.state(), TOL);
        steps(s, p, 1);
        assertEquals(2f, s.state()[4], "one step since the last outer step");
        assertEquals(5, EVERY_TWO.stateSize(2));
    }

    /** Stopped after step 1 (mid-interval) and resumed from its state: the same bits as four steps in one go. */
    @Test
    void aStateSavedMidIntervalResumesBitForBit() {
        float[] straight = {1f, -2f};
        steps(EVERY_TWO.resume(new float[5], 0, 2, 0.1), straight, 4);
        float[] p = {1f, -2f};
        Optimizer.Stepper first = EVERY_TWO.resume(new float[5], 0, 2, 0.1);
        steps(first, p, 3);
        Optimizer.Stepper resumed = EVERY_TWO.resume(first.state(), 3, 2, 0.1);
        steps(resumed, p, 1);
        assertArrayEquals(straight, p);
    }

    /** Adam inside: its state comes first, and a resumed Adam continues as a plain one would. */
    @Test
    void theInnerStateComesFirstAndResumes() {
        Optimizer adam = new Optimizer.Adam(0.9, 0.999, 1e-8);
        Optimizer.Lookahead la = new Optimizer.Lookahead(adam, 3, 0.7, 0.9, false);
        float[] p = {1f, -2f};
        float[] plain = p.clone();
        Optimizer.Stepper s = la.resume(new float[la.stateSize(2)], 0, 2, 0.1);
        Optimizer.Stepper a = adam.resume(new float[4], 0, 2, 0.1);
        for (int k = 0; k < 2; k++) { // before the first outer step, Lookahead is its inner optimizer
            s.stepInPlace(p, GRADS.clone(), 0.1);
            a.stepInPlace(plain, GRADS.clone(), 0.1);
        }
        assertArrayEquals(plain, p);
        float[] state = s.state();
        assertEquals(4 + 2 + 2 + 1, state.length);
        assertArrayEquals(a.state(), java.util.Arrays.copyOf(state, 4));
        assertArrayEquals(new float[] {1f, -2f}, java.util.Arrays.copyOfRange(state, 4, 6), "the anchor is the start");
    }

    /** Paused, the anchor follows the weights and the momentum stays: the weights are the inner optimizer's. */
    @Test
    void pausedTheAnchorFollowsTheWeights() {
        Optimizer.Lookahead paused = EVERY_TWO.withPaused(true);
        float[] state = {5f, 6f, 0.3f, -0.4f, 1f};
        float[] p = {1f, -2f};
        Optimizer.Stepper s = paused.resume(state, 0, 2, 0.1);
        steps(s, p, 2);
        assertArrayEquals(new float[] {0.9f, -2.2f}, p, TOL);
        assertArrayEquals(new float[] {0.9f, -2.2f, 0.3f, -0.4f, 1f}, s.state(), TOL);
        // Unpaused, the outer steps count from there: the next is two steps later, from the anchor (0.9, -2.2),
        // delta = (0.1, 0.2), v = 0.9 (0.3, -0.4) + delta = (0.37, -0.16), p = anchor - 0.7 (delta + 0.9 v).
        Optimizer.Stepper going = EVERY_TWO.resume(s.state(), 2, 2, 0.1);
        steps(going, p, 1);
        assertArrayEquals(new float[] {0.85f, -2.3f}, p, TOL, "no outer step one step after the pause");
        steps(going, p, 1);
        assertArrayEquals(new float[] {(float) (0.9 - 0.7 * (0.1 + 0.9 * 0.37)),
                (float) (-2.2 - 0.7 * (0.2 + 0.9 * -0.16))}, p, TOL);
    }

    @Test
    void badSettingsAndStatesAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Optimizer.Lookahead(new Optimizer.Sgd(), 0, 0.7, 0.9, false));
        assertTrue(e.getMessage().contains("outerInterval must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Optimizer.Lookahead(EVERY_TWO, 2, 0.7, 0.9, false));
        assertTrue(e.getMessage().contains("adam or sgd"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Optimizer.Lookahead(new Optimizer.Sgd(), 2, 0.7, 1.0, false));
        assertTrue(e.getMessage().contains("outerMomentum"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EVERY_TWO.resume(new float[4], 0, 2, 0.1));
        assertTrue(e.getMessage().contains("expected a state of 5 floats") && e.getMessage().contains("got 4"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> EVERY_TWO.resume(new float[] {0, 0, 0, 0, 7}, 0, 2, 0.1));
        assertTrue(e.getMessage().contains("step count") && e.getMessage().contains("got 7.0"), e.getMessage());
    }
}
