package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.sparkdiffusion.metrics.QualityReport;

import java.io.Serializable;
import java.util.Objects;

/**
 * One sample-quality evaluation during training: the EMA weights after a round drew a fixed set of samples and an
 * evaluator scored them.
 *
 * @param round      the index (from 0) of the round after which the EMA weights were evaluated
 * @param imagesSeen images trained on up to and including that round
 * @param nanos      wall time of the evaluation on the driver: sampling, features and metrics
 * @param report     the metrics
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record EvaluationRecord(int round, long imagesSeen, long nanos, QualityReport report) implements Serializable {

    public EvaluationRecord {
        Objects.requireNonNull(report, "report");
    }

    public double seconds() {
        return nanos / 1e9;
    }
}
