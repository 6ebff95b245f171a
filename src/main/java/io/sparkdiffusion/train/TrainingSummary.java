package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;
import java.util.List;

/**
 * The rounds of a training run and their totals.
 *
 * @param rounds one record per round, in order
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record TrainingSummary(List<RoundRecord> rounds) implements Serializable {

    public TrainingSummary {
        rounds = List.copyOf(rounds);
    }

    /** The mean loss of each round, in order. */
    public double[] lossHistory() {
        return rounds.stream().mapToDouble(RoundRecord::loss).toArray();
    }

    public long totalImages() {
        return rounds.stream().mapToLong(RoundRecord::images).sum();
    }

    public long totalNanos() {
        return rounds.stream().mapToLong(RoundRecord::totalNanos).sum();
    }

    /** Images per second over the whole run. */
    public double imagesPerSecond() {
        long nanos = totalNanos();
        return nanos == 0 ? 0 : totalImages() / (nanos / 1e9);
    }

    public long broadcastNanos() {
        return rounds.stream().mapToLong(RoundRecord::broadcastNanos).sum();
    }

    public long computeNanos() {
        return rounds.stream().mapToLong(RoundRecord::computeNanos).sum();
    }

    public long aggregateNanos() {
        return rounds.stream().mapToLong(RoundRecord::aggregateNanos).sum();
    }
}
