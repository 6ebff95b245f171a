package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
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

    /** Serialized as a {@link Wire}: its arrays in bulk ({@link BulkFloats}), not float by float. */
    private Object writeReplace() {
        return new Wire(this);
    }

    /** The serialized form of a {@link PartitionResult}. */
    public static final class Wire implements Externalizable {
        private static final long serialVersionUID = 1L;
        private PartitionResult value;

        /** For deserialization. */
        public Wire() {
        }

        Wire(PartitionResult value) {
            this.value = value;
        }

        @Override
        public void writeExternal(ObjectOutput out) throws IOException {
            out.writeInt(value.partition);
            out.writeLong(value.images);
            out.writeDouble(value.lossSum);
            out.writeLong(value.computeNanos);
            BulkFloats.write(out, value.params);
            BulkFloats.write(out, value.optimizerState);
        }

        @Override
        public void readExternal(ObjectInput in) throws IOException {
            int partition = in.readInt();
            long images = in.readLong();
            double lossSum = in.readDouble();
            long computeNanos = in.readLong();
            value = new PartitionResult(partition, BulkFloats.read(in), BulkFloats.read(in), images, lossSum,
                    computeNanos);
        }

        private Object readResolve() {
            return value;
        }
    }
}
