package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * How the sliced reduction cuts a partition's result into {@code slices} pieces: slice {@code s} holds the weights
 * {@code [s P / S, (s + 1) P / S)} and the optimizer-state floats {@code [s St / S, (s + 1) St / S)} (weights and
 * state are cut separately, so any state layout works). Slice 0 also carries the partition's loss sum and compute
 * time; every slice carries its image count, the averaging weight.
 *
 * @param numParameters the length of the weight vector, P
 * @param stateSize     the length of an optimizer state, St
 * @param slices        the number of slices, S, in [1, max(P, 1)]
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record SliceLayout(int numParameters, int stateSize, int slices) implements Serializable {

    public SliceLayout {
        if (numParameters < 1 || stateSize < 0) {
            throw new IllegalArgumentException("a layout needs >= 1 weights and >= 0 state floats, got "
                    + numParameters + " and " + stateSize);
        }
        if (slices < 1 || slices > numParameters) {
            throw new IllegalArgumentException("slices must be in [1, " + numParameters + "] (the weights), got " + slices);
        }
    }

    /** The first weight of slice {@code s} (for {@code s = slices}: the end of the last one). */
    public int paramStart(int s) {
        return (int) ((long) s * numParameters / slices);
    }

    /** The first optimizer-state float of slice {@code s} (for {@code s = slices}: the end of the last one). */
    public int stateStart(int s) {
        return (int) ((long) s * stateSize / slices);
    }

    /**
     * Slice {@code s} of one partition's result: its weights and optimizer-state floats in the slice's range (own
     * states too: the reducer hands them back unsummed), its image count, and the loss sum and compute time on slice 0 only. A partition that
     * trained on nothing only has a slice 0, for its compute time; null for its other slices.
     */
    public PartitionResult piece(PartitionResult r, int s) {
        boolean first = s == 0;
        if (r.images() == 0) {
            return first ? new PartitionResult(r.partition(), null, null, 0, 0, r.computeNanos()) : null;
        }
        float[] w = Arrays.copyOfRange(r.params(), paramStart(s), paramStart(s + 1));
        float[] state = Arrays.copyOfRange(r.optimizerState(), stateStart(s), stateStart(s + 1));
        return new PartitionResult(r.partition(), w, state, r.images(), first ? r.lossSum() : 0,
                first ? r.computeNanos() : 0);
    }

    /**
     * The image-weighted mean of one slice's pieces, summed in partition order (a {@link WeightedSum}, so with its
     * compensation), whatever order they arrive in: a fixed order makes the result the same bit for bit under
     * any task completion order or retry.
     *
     * @throws IllegalStateException if two pieces come from the same partition
     */
    public SliceMean reduce(int slice, Collection<PartitionResult> pieces, boolean averageOptimizerState) {
        List<PartitionResult> sorted = new ArrayList<>(pieces);
        sorted.sort(Comparator.comparingInt(PartitionResult::partition));
        WeightedSum sum = new WeightedSum(averageOptimizerState);
        for (int i = 0; i < sorted.size(); i++) {
            if (i > 0 && sorted.get(i).partition() == sorted.get(i - 1).partition()) {
                throw new IllegalStateException("slice " + slice + " received two results of partition "
                        + sorted.get(i).partition() + ": each partition must contribute once");
            }
            sum.add(sorted.get(i));
        }
        if (sum.images() == 0) {
            return new SliceMean(slice, null, null, sum.partitionStates(), 0, Double.NaN, 0, sum.maxComputeNanos(),
                    sum.totalComputeNanos());
        }
        return new SliceMean(slice, sum.meanParams(), sum.meanOptimizerState(), sum.partitionStates(), sum.images(),
                sum.meanLoss(), sum.partitions(), sum.maxComputeNanos(), sum.totalComputeNanos());
    }
}
