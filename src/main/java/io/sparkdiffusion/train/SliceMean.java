package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

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
 * @param totalComputeNanos the partitions' compute times summed (on slice 0)
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record SliceMean(int slice, float[] meanParams, float[] meanState, Map<Integer, float[]> partitionStates,
                        long images, double meanLoss, int partitions, long maxComputeNanos,
                        long totalComputeNanos) implements Serializable {

    /** Serialized as a {@link Wire}: its arrays in bulk ({@link BulkFloats}), not float by float. */
    private Object writeReplace() {
        return new Wire(this);
    }

    /** The serialized form of a {@link SliceMean}. */
    public static final class Wire implements Externalizable {
        private static final long serialVersionUID = 1L;
        private SliceMean value;

        /** For deserialization. */
        public Wire() {
        }

        Wire(SliceMean value) {
            this.value = value;
        }

        @Override
        public void writeExternal(ObjectOutput out) throws IOException {
            out.writeInt(value.slice);
            out.writeLong(value.images);
            out.writeDouble(value.meanLoss);
            out.writeInt(value.partitions);
            out.writeLong(value.maxComputeNanos);
            out.writeLong(value.totalComputeNanos);
            BulkFloats.write(out, value.meanParams);
            BulkFloats.write(out, value.meanState);
            out.writeInt(value.partitionStates.size());
            for (var e : value.partitionStates.entrySet()) {
                out.writeInt(e.getKey());
                BulkFloats.write(out, e.getValue());
            }
        }

        @Override
        public void readExternal(ObjectInput in) throws IOException {
            int slice = in.readInt();
            long images = in.readLong();
            double meanLoss = in.readDouble();
            int partitions = in.readInt();
            long maxComputeNanos = in.readLong();
            long totalComputeNanos = in.readLong();
            float[] meanParams = BulkFloats.read(in);
            float[] meanState = BulkFloats.read(in);
            int n = in.readInt();
            TreeMap<Integer, float[]> states = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                int p = in.readInt();
                states.put(p, BulkFloats.read(in));
            }
            value = new SliceMean(slice, meanParams, meanState, states, images, meanLoss, partitions, maxComputeNanos,
                    totalComputeNanos);
        }

        private Object readResolve() {
            return value;
        }
    }
}
