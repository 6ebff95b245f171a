package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;
import java.util.Map;

/**
 * One averaged slice of a round (see {@link SliceLayout}): what a reducer of the sliced reduction sends the driver.
 *
 * @param slice           the slice index
 * @param meanParams      the image-weighted mean of the slice's weights, or null when no partition trained
 * @param meanState       the image-weighted mean of the slice's optimizer state, or null when states are kept per
 *                        partition (or no partition trained)
 * @param partitionStates the partitions' own state floats of this slice (when states are not averaged)
 * @param images          the images of the partitions that trained
 * @param meanLoss        the image-weighted mean loss (meaningful on slice 0 only, which carries the loss sums)
 * @param partitions      the partitions that trained on at least one image
 * @param maxComputeNanos the slowest partition's compute time (on slice 0)
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record SliceMean(int slice, float[] meanParams, float[] meanState, Map<Integer, float[]> partitionStates,
                        long images, double meanLoss, int partitions, long maxComputeNanos) implements Serializable {
}
