package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;

/**
 * What one partition brings back from a round of local steps.
 *
 * @param partition      the partition index
 * @param params         the weights after the local steps, {@code [numParameters]}
 * @param optimizerState the optimizer state after the local steps
 * @param images         the number of images trained on (the averaging weight)
 * @param lossSum        the sum over steps of (batch-mean loss x batch size)
 * @param computeNanos   wall time of the local steps
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record PartitionResult(int partition, float[] params, float[] optimizerState, long images, double lossSum,
                              long computeNanos) implements Serializable {
}
