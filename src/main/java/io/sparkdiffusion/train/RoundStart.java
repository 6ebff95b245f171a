package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;
import java.util.Map;

/**
 * What the driver broadcasts at the start of a round.
 *
 * @param round           the round's index, from 0
 * @param startStep       the global index of the round's first optimizer step
 * @param params          the averaged weights
 * @param sharedState     the averaged optimizer state, or {@code null} when each partition keeps its own
 * @param partitionStates each partition's own optimizer state (when not averaged); a partition absent here starts
 *                        from a zero state
 * @param stateSize       the length of an optimizer state
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record RoundStart(int round, long startStep, float[] params, float[] sharedState,
                         Map<Integer, float[]> partitionStates, int stateSize) implements Serializable {

    /** The optimizer state partition {@code p} starts this round from. */
    public float[] stateFor(int partition) {
        if (sharedState != null) {
            return sharedState;
        }
        float[] own = partitionStates.get(partition);
        return own != null ? own : new float[stateSize];
    }
}
