package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;

/**
 * The record of one training round.
 *
 * @param round          the round's index, from 0
 * @param images         images trained on in this round, over all partitions
 * @param imagesSeen     images trained on since the start of training, this round included
 * @param partitions     partitions that trained on at least one image
 * @param loss           the image-weighted mean batch loss of the round
 * @param broadcastNanos driver time to create and destroy the round's broadcast
 * @param computeNanos   the slowest partition's time in its local steps
 * @param totalComputeNanos all partitions' times in their local steps, summed: with more partitions than the
 *                       cluster has cores, the partitions queue, and this over the cores is the round's least
 *                       possible compute time
 * @param aggregateNanos the rest of the round: scheduling, shipping the broadcast and the results, merging,
 *                       dividing and the EMA update ({@code total - broadcast - compute})
 * @param totalNanos     the round's wall time on the driver
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record RoundRecord(int round, long images, long imagesSeen, int partitions, double loss, long broadcastNanos,
                          long computeNanos, long totalComputeNanos, long aggregateNanos, long totalNanos)
        implements Serializable {

    /** Images per second of wall time. */
    public double imagesPerSecond() {
        return totalNanos == 0 ? 0 : images / (totalNanos / 1e9);
    }

    /**
     * The fraction of the round not spent in local compute, with one core per partition (the slowest partition's
     * compute is the round's compute); see {@link #overheadFraction(int)} when partitions queue for cores.
     */
    public double overheadFraction() {
        return totalNanos == 0 ? 0 : (double) (totalNanos - computeNanos) / totalNanos;
    }

    /**
     * The fraction of the round not spent in local compute on a cluster of {@code cores} task slots: the compute
     * is the larger of the slowest partition's and all partitions' summed over the cores (their least possible
     * time when they queue), so broadcast, scheduling, result shipping and the reduction are what is left.
     */
    public double overheadFraction(int cores) {
        if (cores < 1) {
            throw new IllegalArgumentException("cores must be at least 1, got " + cores);
        }
        long compute = Math.max(computeNanos, totalComputeNanos / cores);
        return totalNanos == 0 ? 0 : Math.max(0, (double) (totalNanos - compute) / totalNanos);
    }
}
