package io.sparkdiffusion.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WeightedSumTest {
    private static final float TOL = 1e-6f;

    private static PartitionResult result(int p, long images, float... w) {
        return new PartitionResult(p, w, new float[] {w[0] * 10}, images, images * 0.5 * (p + 1), 1000L * (p + 1));
    }

    @Test
    void singlePartitionMeanIsItsWeightsExactly() {
        float[] w = {0.1f, -3.3333333f, 1e-30f, 7e20f, Float.MIN_VALUE};
        WeightedSum s = new WeightedSum(true).add(new PartitionResult(0, w, w, 192, 1, 1));
        assertArrayEquals(w, s.meanParams());
        assertArrayEquals(w, s.meanOptimizerState());
    }

    /** (2 * [1, 2] + 6 * [5, -2]) / 8 = [4, -1]; losses (2 * 0.5 + 6 * 1.0) / 8 = 0.875. */
    @Test
    void meanIsImageWeightedInAnyMergeOrder() {
        WeightedSum a = new WeightedSum(true).add(result(0, 2, 1f, 2f));
        WeightedSum b = new WeightedSum(true).add(result(1, 6, 5f, -2f)).add(result(2, 0, 100f, 100f));
        WeightedSum ab = new WeightedSum(true).merge(a).merge(b);
        assertArrayEquals(new float[] {4f, -1f}, ab.meanParams(), TOL);
        assertArrayEquals(new float[] {40f}, ab.meanOptimizerState(), TOL);
        assertEquals(8, ab.images());
        assertEquals(2, ab.partitions());
        assertEquals(0.875, ab.meanLoss(), 1e-12);
        assertEquals(3000L, ab.maxComputeNanos(), "the empty partition's time still counts");
        WeightedSum ba = new WeightedSum(true).add(result(1, 6, 5f, -2f)).merge(new WeightedSum(true).add(result(0, 2, 1f, 2f)));
        assertArrayEquals(ab.meanParams(), ba.meanParams());
    }

    /** Three partitions merged as ((a + b) + c) and (a + (b + c)): the same floats. */
    @Test
    void mergeIsAssociativeInFloat() {
        float[] wa = {0.1f, 1e-7f, 3f};
        float[] wb = {0.7f, -2e-7f, 1e5f};
        float[] wc = {-0.3f, 5e-8f, -1e5f};
        WeightedSum left = new WeightedSum(true).add(result(0, 3, wa)).merge(new WeightedSum(true).add(result(1, 7, wb)))
                .merge(new WeightedSum(true).add(result(2, 5, wc)));
        WeightedSum right = new WeightedSum(true).add(result(0, 3, wa)).merge(
                new WeightedSum(true).add(result(1, 7, wb)).merge(new WeightedSum(true).add(result(2, 5, wc))));
        assertArrayEquals(left.meanParams(), right.meanParams());
        double[] exact = {(3 * 0.1 + 7 * 0.7 - 5 * 0.3) / 15, 0, (9 + 7e5 - 5e5) / 15};
        for (int i = 0; i < 3; i++) {
            double w = (3.0 * wa[i] + 7.0 * wb[i] + 5.0 * wc[i]) / 15;
            assertEquals((float) w, left.meanParams()[i]);
        }
        assertEquals((float) exact[0], left.meanParams()[0], TOL);
    }

    @Test
    void unaveragedStatesAreKeptPerPartition() {
        WeightedSum s = new WeightedSum(false).add(result(0, 2, 1f)).merge(new WeightedSum(false).add(result(3, 2, 2f)));
        assertNull(s.meanOptimizerState());
        assertArrayEquals(new float[] {10f}, s.partitionStates().get(0));
        assertArrayEquals(new float[] {20f}, s.partitionStates().get(3));
    }

    @Test
    void emptyRoundIsAnError() {
        assertThrows(IllegalStateException.class, () -> new WeightedSum(true).meanParams());
    }
}
