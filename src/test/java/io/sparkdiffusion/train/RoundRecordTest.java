package io.sparkdiffusion.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RoundRecordTest {
    private static final long S = 1_000_000_000L;

    /**
     * A 10 s round whose slowest partition computed 2 s and all partitions 12 s together. By hand: on 2 cores the
     * compute takes at least max(2, 12 / 2) = 6 s, so 4 s (0.4) is overhead; on 8 cores max(2, 1.5) = 2 s, 0.8;
     * with one core per partition, as overheadFraction() assumes, (10 - 2) / 10 = 0.8.
     */
    @Test
    void overheadCountsQueuedPartitionsAsCompute() {
        RoundRecord r = new RoundRecord(0, 100, 100, 8, 0.5, S / 10, 2 * S, 12 * S, 8 * S - S / 10, 10 * S);
        assertEquals(0.4, r.overheadFraction(2), 1e-12);
        assertEquals(0.8, r.overheadFraction(8), 1e-12);
        assertEquals(0.8, r.overheadFraction(), 1e-12);
        assertEquals(0.0, new RoundRecord(0, 100, 100, 8, 0.5, 0, 2 * S, 12 * S, 0, 5 * S).overheadFraction(2),
                "a round faster than its compute bound (timer noise) has no overhead, not a negative one");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.overheadFraction(0));
        assertEquals("cores must be at least 1, got 0", e.getMessage());
    }
}
