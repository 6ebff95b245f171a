package io.sparkdiffusion.train;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class SeedsTest {

    /** The JDK's SplittableRandom is SplitMix64: its first output from seed s is mix64(s + golden gamma). */
    @Test
    void mix64IsSplitMix64Finalizer() {
        long goldenGamma = 0x9E3779B97F4A7C15L;
        for (long s : new long[] {0, 1, 42, -7, Long.MAX_VALUE}) {
            assertEquals(new SplittableRandom(s).nextLong(), Seeds.mix64(s + goldenGamma), "seed " + s);
        }
    }

    @Test
    void stepSeedsAreDistinctAcrossStepsAndPartitions() {
        Set<Long> seen = new HashSet<>();
        for (long step = 0; step < 50; step++) {
            for (int p = 0; p < 50; p++) {
                seen.add(Seeds.step(7, step, p));
            }
        }
        assertEquals(2500, seen.size());
        assertNotEquals(Seeds.step(7, 1, 2), Seeds.step(7, 2, 1), "coordinates are ordered");
        assertNotEquals(Seeds.step(7, 0, 0), Seeds.step(8, 0, 0));
        assertNotEquals(Seeds.init(7), Seeds.step(7, 0, 0));
    }
}
