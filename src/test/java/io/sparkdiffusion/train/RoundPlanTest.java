package io.sparkdiffusion.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Round plans of post-local SGD ({@code shortRoundImages}), each worked out by hand in its comment. */
class RoundPlanTest {

    @Test
    void shortRoundsCoverTheirImagesThenLongRoundsTheRest() {
        // 300 images at 64 per short round: 5 short rounds (320 images); 1,000 - 320 = 680 at 640 per round: 2.
        RoundPlan plan = RoundPlan.of(1000, 10, 300, 64, 640);
        assertEquals(new RoundPlan(7, 5), plan);
        // 5 short rounds of 1 step, 2 long rounds of 10 steps.
        assertEquals(25, plan.steps(10));
    }

    @Test
    void withoutShortRoundsThePlanIsTheImagesOverTheRound() {
        // ceil(1,000 / 640) = 2, as before short rounds existed.
        assertEquals(new RoundPlan(2, 0), RoundPlan.of(1000, 10, 0, 64, 640));
        assertEquals(20, RoundPlan.of(1000, 10, 0, 64, 640).steps(10));
        // numImages 0: numRounds.
        assertEquals(new RoundPlan(10, 0), RoundPlan.of(0, 10, 0, 64, 640));
    }

    @Test
    void shortRoundsNeverOutnumberTheRun() {
        // All of numImages fits in the short rounds: ceil(100 / 64) = 2 short rounds and nothing after them.
        assertEquals(new RoundPlan(2, 2), RoundPlan.of(100, 10, 1000, 64, 640));
        // numRounds 4 counts the short rounds: ceil(300 / 64) = 5, capped at 4.
        assertEquals(new RoundPlan(4, 4), RoundPlan.of(0, 4, 300, 64, 640));
        // numRounds 10: 5 short, 5 long.
        assertEquals(new RoundPlan(10, 5), RoundPlan.of(0, 10, 300, 64, 640));
    }

    @Test
    void badPlansAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> RoundPlan.of(1000, 10, 300, 0, 640));
        assertTrue(e.getMessage().contains("images per round must be > 0"), e.getMessage());
        var many = assertThrows(IllegalArgumentException.class, () -> RoundPlan.of(Long.MAX_VALUE / 2, 10, 0, 1, 1));
        assertTrue(many.getMessage().contains("raise batchSize or localSteps"), many.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RoundPlan(3, 4));
    }
}
