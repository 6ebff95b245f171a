package io.sparkdiffusion.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SliceLayoutTest {

    /** 10 weights in 3 slices: [0, 3), [3, 6), [6, 10); 4 state floats: [0, 1), [1, 2), [2, 4). */
    @Test
    void slicesCoverEveryFloatOnce() {
        SliceLayout l = new SliceLayout(10, 4, 3);
        assertEquals(List.of(0, 3, 6, 10), List.of(l.paramStart(0), l.paramStart(1), l.paramStart(2), l.paramStart(3)));
        assertEquals(List.of(0, 1, 2, 4), List.of(l.stateStart(0), l.stateStart(1), l.stateStart(2), l.stateStart(3)));
        assertThrows(IllegalArgumentException.class, () -> new SliceLayout(10, 4, 11));
        assertThrows(IllegalArgumentException.class, () -> new SliceLayout(10, 4, 0));
    }

    @Test
    void piecesCarryTheRangesTheImagesAndTheScalarsOnSliceZero() {
        SliceLayout l = new SliceLayout(5, 2, 2);
        PartitionResult r = new PartitionResult(3, new float[] {1, 2, 3, 4, 5}, new float[] {6, 7}, 9, 4.5, 100);
        PartitionResult p0 = l.piece(r, 0);
        PartitionResult p1 = l.piece(r, 1);
        assertArrayEquals(new float[] {1, 2}, p0.params());
        assertArrayEquals(new float[] {6}, p0.optimizerState());
        assertArrayEquals(new float[] {3, 4, 5}, p1.params());
        assertArrayEquals(new float[] {7}, p1.optimizerState());
        assertEquals(List.of(3, 9L, 4.5, 100L), List.of(p0.partition(), p0.images(), p0.lossSum(), p0.computeNanos()));
        assertEquals(List.of(3, 9L, 0.0, 0L), List.of(p1.partition(), p1.images(), p1.lossSum(), p1.computeNanos()));
        PartitionResult empty = new PartitionResult(4, new float[5], new float[2], 0, 0, 7);
        assertEquals(7L, l.piece(empty, 0).computeNanos());
        assertNull(l.piece(empty, 0).params());
        assertNull(l.piece(empty, 1), "an empty partition only reports its time, on slice 0");
    }

    /**
     * Pieces in any order sum in partition order: three partitions, (2 [1, 2] + 6 [5, -2] + 0 [...]) / 8 = [4, -1]
     * (hand calculation), and every permutation gives the same floats.
     */
    @Test
    void aSliceIsTheImageWeightedMeanInPartitionOrder() {
        SliceLayout l = new SliceLayout(2, 2, 1);
        List<PartitionResult> pieces = List.of(
                new PartitionResult(2, new float[] {1e8f, 3f}, new float[] {0.1f, 0.2f}, 2, 2.0, 5),
                new PartitionResult(0, new float[] {1f, 2f}, new float[] {1f, 1f}, 2, 1.0, 3),
                new PartitionResult(1, new float[] {5f, -2f}, new float[] {3f, 5f}, 6, 6.0, 9));
        SliceMean first = l.reduce(0, pieces, true);
        assertEquals(10, first.images());
        assertEquals(0.9, first.meanLoss(), 1e-15);
        assertEquals(3, first.partitions());
        assertEquals(9L, first.maxComputeNanos());
        assertEquals(5L + 3 + 9, first.totalComputeNanos());
        double[] exact = {(2 * 1.0 + 6 * 5.0 + 2 * 1e8) / 10, (2 * 2.0 - 6 * 2.0 + 2 * 3.0) / 10};
        assertArrayEquals(new float[] {(float) exact[0], (float) exact[1]}, first.meanParams());
        for (List<PartitionResult> order : permutations(pieces)) {
            SliceMean m = l.reduce(0, order, true);
            assertArrayEquals(first.meanParams(), m.meanParams(), order.toString());
            assertArrayEquals(first.meanState(), m.meanState(), order.toString());
            assertEquals(first.meanLoss(), m.meanLoss());
        }
    }

    @Test
    void ownStatesComeBackUnsummedAndAPartitionTwiceIsAnError() {
        SliceLayout l = new SliceLayout(1, 2, 1);
        var a = new PartitionResult(0, new float[] {1f}, new float[] {1f, 2f}, 1, 0, 0);
        var b = new PartitionResult(1, new float[] {3f}, new float[] {3f, 4f}, 1, 0, 0);
        SliceMean m = l.reduce(0, List.of(b, a), false);
        assertNull(m.meanState());
        assertArrayEquals(new float[] {2f}, m.meanParams());
        assertArrayEquals(new float[] {3f, 4f}, m.partitionStates().get(1));
        var e = assertThrows(IllegalStateException.class, () -> l.reduce(0, List.of(a, b, a), true));
        assertTrue(e.getMessage().contains("two results of partition 0"), e.getMessage());
    }

    /** Slices assembled on the driver: the same arrays as one slice, bit for bit (each float sums on its own). */
    @Test
    void assembledSlicesEqualOneSlice() {
        List<PartitionResult> results = new ArrayList<>();
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        for (int p = 0; p < 4; p++) {
            float[] w = new float[11];
            float[] s = new float[22];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextGaussian();
            }
            for (int i = 0; i < s.length; i++) {
                s[i] = (float) random.nextDouble();
            }
            results.add(new PartitionResult(p, w, s, 3 + p, p, p));
        }
        RoundResult one = assemble(results, new SliceLayout(11, 22, 1));
        RoundResult four = assemble(results, new SliceLayout(11, 22, 4));
        assertArrayEquals(one.meanParams(), four.meanParams());
        assertArrayEquals(one.meanOptimizerState(), four.meanOptimizerState());
        assertEquals(one.meanLoss(), four.meanLoss());
        WeightedSum tree = new WeightedSum(true);
        results.forEach(tree::add);
        assertArrayEquals(tree.meanParams(), four.meanParams(), "WeightedSum adding in partition order");
        SliceMeans missing = new SliceMeans(new SliceLayout(11, 22, 2), true);
        assertThrows(IllegalStateException.class, missing::meanParams);
    }

    private static RoundResult assemble(List<PartitionResult> results, SliceLayout layout) {
        SliceMeans out = new SliceMeans(layout, true);
        for (int s = layout.slices() - 1; s >= 0; s--) {
            List<PartitionResult> pieces = new ArrayList<>();
            for (PartitionResult r : results) {
                pieces.add(layout.piece(r, s));
            }
            out.put(layout.reduce(s, pieces, true));
        }
        return out;
    }

    private static List<List<PartitionResult>> permutations(List<PartitionResult> xs) {
        if (xs.isEmpty()) {
            return List.of(List.of());
        }
        List<List<PartitionResult>> out = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            List<PartitionResult> rest = new ArrayList<>(xs);
            PartitionResult head = rest.remove(i);
            for (List<PartitionResult> p : permutations(rest)) {
                List<PartitionResult> l = new ArrayList<>();
                l.add(head);
                l.addAll(p);
                out.add(l);
            }
        }
        return out;
    }
}
