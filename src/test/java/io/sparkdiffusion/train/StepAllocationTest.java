package io.sparkdiffusion.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StepAllocationTest {

    private static final long MB = 1L << 20;

    @Test
    void aBoxedRoundAfterTheWarmUpIsFlagged() {
        // unet-small boxed: 29 GB for a step of 64 images, about 450 MB per image
        assertTrue(StepAllocation.boxed(29_000 * MB, 64, 5_000));
        // 8 MB per image is the limit: 64 images at 8 MB + 64 bytes each is just over it
        assertTrue(StepAllocation.boxed(64 * (8 * MB + 64), 64, 2_000));
    }

    @Test
    void healthyRoundsTheWarmUpAndEmptyRoundsAreNot() {
        // a compiled unet-small step: 0.8 MB for 64 images
        assertFalse(StepAllocation.boxed(MB * 8 / 10, 64, 5_000));
        // exactly 8 MB per image is not over the limit
        assertFalse(StepAllocation.boxed(64 * 8 * MB, 64, 5_000));
        // the same boxed amount in a round that starts within the JVM's first 2,000 images: warm-up
        assertFalse(StepAllocation.boxed(29_000 * MB, 64, 1_999));
        // a round that trained nothing
        assertFalse(StepAllocation.boxed(29_000 * MB, 0, 5_000));
    }

    @Test
    void theCurrentThreadsAllocationIsCounted() {
        long before = StepAllocation.allocatedBytes();
        float[][] keep = new float[16][];
        for (int i = 0; i < keep.length; i++) {
            keep[i] = new float[1 << 16]; // 256 KB each, 4 MB in all
        }
        long after = StepAllocation.allocatedBytes();
        assertTrue(before >= 0, "HotSpot counts each thread's allocation");
        assertTrue(after - before >= 16L * (1 << 16) * 4, "allocated " + (after - before) + " bytes for 4 MB of arrays");
        assertTrue(keep[15].length == 1 << 16);
    }
}
