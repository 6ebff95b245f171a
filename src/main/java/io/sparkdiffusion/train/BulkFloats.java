package io.sparkdiffusion.train;

import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Float arrays in and out of Java serialization in bulk. {@code ObjectOutputStream} writes a {@code float[]} one
 * element at a time (about 100 MB/s on the shared development machine), while a copy through a {@link ByteBuffer}
 * runs at memory speed (several GB/s); for the weights and optimizer state a round ships (hundreds of MB) that is
 * most of a round's overhead. Chunks of 256 KiB keep the extra memory small.
 */
public final class BulkFloats {
    private static final int CHUNK_FLOATS = 1 << 16;

    private BulkFloats() {
    }

    /** Writes {@code a} (may be null) as its length (-1 for null) and its floats, little-endian. */
    public static void write(ObjectOutput out, float[] a) throws IOException {
        if (a == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(a.length);
        byte[] bytes = new byte[4 * Math.min(a.length, CHUNK_FLOATS)];
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < a.length; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, a.length - from);
            buf.clear();
            buf.asFloatBuffer().put(a, from, n);
            out.write(bytes, 0, 4 * n);
        }
    }

    /** Reads what {@link #write} wrote. */
    public static float[] read(ObjectInput in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        float[] a = new float[length];
        byte[] bytes = new byte[4 * Math.min(length, CHUNK_FLOATS)];
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < length; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, length - from);
            in.readFully(bytes, 0, 4 * n);
            buf.clear();
            buf.asFloatBuffer().get(a, from, n);
        }
        return a;
    }
}
