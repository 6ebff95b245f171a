package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;
import java.util.List;

/**
 * The rounds of a training run, their totals, and the sample-quality evaluations made during it.
 *
 * @param rounds      one record per round, in order
 * @param evaluations the evaluations of the EMA weights (every {@code evalInterval} rounds and after the last),
 *                    in order; empty when evaluation was off
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record TrainingSummary(List<RoundRecord> rounds, List<EvaluationRecord> evaluations) implements Serializable {

    public TrainingSummary {
        rounds = List.copyOf(rounds);
        evaluations = List.copyOf(evaluations);
    }

    /** A run without evaluations. */
    public TrainingSummary(List<RoundRecord> rounds) {
        this(rounds, List.of());
    }

    /** This summary with {@code evaluations} instead of its own. */
    public TrainingSummary withEvaluations(List<EvaluationRecord> evaluations) {
        return new TrainingSummary(rounds, evaluations);
    }

    /** The last evaluation (the final weights' quality when evaluation was on), if any. */
    public java.util.Optional<EvaluationRecord> finalEvaluation() {
        return evaluations.isEmpty() ? java.util.Optional.empty()
                : java.util.Optional.of(evaluations.get(evaluations.size() - 1));
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
