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
 * @param aggregateNanos the rest of the round: scheduling, shipping the broadcast and the results, merging,
 *                       dividing and the EMA update ({@code total - broadcast - compute})
 * @param totalNanos     the round's wall time on the driver
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record RoundRecord(int round, long images, long imagesSeen, int partitions, double loss, long broadcastNanos,
                          long computeNanos, long aggregateNanos, long totalNanos) implements Serializable {

    /** Images per second of wall time. */
    public double imagesPerSecond() {
        return totalNanos == 0 ? 0 : images / (totalNanos / 1e9);
    }

    /** The fraction of the round not spent in local compute. */
    public double overheadFraction() {
        return totalNanos == 0 ? 0 : (double) (totalNanos - computeNanos) / totalNanos;
    }
}
