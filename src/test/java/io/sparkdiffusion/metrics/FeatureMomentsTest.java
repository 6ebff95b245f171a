package io.sparkdiffusion.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FeatureMomentsTest {
    /** Sums of a few exact small numbers: only the last bits may differ from the hand values. */
    static final double EXACT = 1e-12;
    /** Rows offset by 1e6: float inputs are exact, the double updates lose about 1e-16 * 1e6 relative per step. */
    static final double OFFSET_TOLERANCE = 1e-6;

    // Rows (1, 2), (3, 6), (5, 4): mean (3, 4); deviations (-2, -2), (0, 2), (2, 0);
    // comoment [[8, 4], [4, 8]], unbiased covariance [[4, 2], [2, 4]] (by hand).
    private static final float[] ROWS = {1, 2, 3, 6, 5, 4};

    @Test
    void meanAndCovarianceMatchTheHandValues() {
        FeatureMoments m = FeatureMoments.ofRows(ROWS, 2);
        assertEquals(3, m.count());
        assertArrayEquals(new double[] {3, 4}, m.mean(), EXACT);
        assertArrayEquals(new double[] {8, 4, 4, 8}, m.comoment(), EXACT);
        assertArrayEquals(new double[] {4, 2, 2, 4}, m.covariance(), EXACT);
    }

    @Test
    void mergedPartialMomentsEqualTheWholeInAnyGrouping() {
        FeatureMoments a = new FeatureMoments(2).add(ROWS, 0);
        FeatureMoments b = new FeatureMoments(2).add(ROWS, 2).add(ROWS, 4);
        FeatureMoments ab = new FeatureMoments(2).merge(a).merge(b);
        FeatureMoments ba = new FeatureMoments(2).merge(b).merge(a).merge(new FeatureMoments(2));
        for (FeatureMoments m : new FeatureMoments[] {ab, ba}) {
            assertEquals(3, m.count());
            assertArrayEquals(new double[] {3, 4}, m.mean(), EXACT);
            assertArrayEquals(new double[] {4, 2, 2, 4}, m.covariance(), EXACT);
        }
    }

    @Test
    void aLargeCommonOffsetDoesNotSwampTheCovariance() {
        float[] shifted = ROWS.clone();
        for (int i = 0; i < shifted.length; i++) {
            shifted[i] += 1e6f; // exact in float: integers below 2^24
        }
        FeatureMoments whole = FeatureMoments.ofRows(shifted, 2);
        assertArrayEquals(new double[] {4, 2, 2, 4}, whole.covariance(), OFFSET_TOLERANCE);
        FeatureMoments merged = new FeatureMoments(2).add(shifted, 0).merge(new FeatureMoments(2).add(shifted, 2)
                .add(shifted, 4));
        assertArrayEquals(new double[] {4, 2, 2, 4}, merged.covariance(), OFFSET_TOLERANCE);
    }

    @Test
    void storedMomentsRoundTrip() {
        FeatureMoments m = FeatureMoments.of(3, new double[] {3, 4}, new double[] {8, 4, 4, 8});
        assertArrayEquals(new double[] {4, 2, 2, 4}, m.covariance(), EXACT);
    }

    @Test
    void badInputIsRejectedWithTheReason() {
        assertThrows(IllegalArgumentException.class, () -> new FeatureMoments(0));
        assertThrows(IllegalArgumentException.class, () -> FeatureMoments.ofRows(new float[5], 2));
        assertThrows(IllegalArgumentException.class, () -> new FeatureMoments(2).merge(new FeatureMoments(3)));
        assertThrows(IllegalArgumentException.class, () -> FeatureMoments.of(2, new double[2], new double[3]));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new FeatureMoments(2).add(ROWS, 0).covariance());
        assertEquals("a covariance needs at least 2 feature rows, got 1", e.getMessage());
    }
}
