package io.sparkdiffusion.spark;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KryoBuffersTest {
    private static final long MIB = 1L << 20;

    private static SparkConf kryo() {
        return new SparkConf().set(KryoBuffers.SERIALIZER, KryoBuffers.KRYO);
    }

    /**
     * P = 1,000 weights, S = 2,000 floats of state, 4 partitions, shards of at most 100 floats. Averaged state:
     * the merged sum is 16 (1,000 + 2,000) = 48,000 bytes, above the broadcast's 12,000 and the shard's 400; with the
     * 10% margin and 1 MiB: 52,800 + 1,048,576. Own states: 16,000 + 4 x 2,000 x 4 = 48,000 again; the broadcast
     * carries the weights only (4,000). A shard of 10^7 floats (40 MB) outweighs both.
     */
    @Test
    void neededBytesIsTheLargestObjectWithAMargin() {
        assertEquals(52_800 + MIB, KryoBuffers.neededBytes(1000, 2000, 4, true, 100));
        assertEquals(52_800 + MIB, KryoBuffers.neededBytes(1000, 2000, 4, false, 100));
        assertEquals(44_000_000 + MIB, KryoBuffers.neededBytes(1000, 2000, 4, true, 10_000_000));
    }

    @Test
    void javaSerializationHasNoLimitToCheck() {
        KryoBuffers.check(new SparkConf(), 10_000 * MIB);
    }

    @Test
    void kryoWithTheDefaultBufferFailsForAModelThatNeedsMore() {
        var e = assertThrows(IllegalArgumentException.class, () -> KryoBuffers.check(kryo(), 80 * MIB + 1));
        assertTrue(e.getMessage().contains("spark.kryoserializer.buffer.max is 64 MiB (Spark's default)"), e.getMessage());
        assertTrue(e.getMessage().contains("set spark.kryoserializer.buffer.max to 81m or more"), e.getMessage());
        KryoBuffers.check(kryo(), 64 * MIB);
    }

    @Test
    void kryoWithALargerBufferPassesAndBeyondKryosLimitSaysUseJava() {
        KryoBuffers.check(kryo().set(KryoBuffers.BUFFER_MAX, "512m"), 500 * MIB);
        var e = assertThrows(IllegalArgumentException.class,
                () -> KryoBuffers.check(kryo().set(KryoBuffers.BUFFER_MAX, "2047m"), 3000 * MIB));
        assertTrue(e.getMessage().contains("Kryo's limit of 2047m"), e.getMessage());
        assertTrue(e.getMessage().contains("unset spark.serializer"), e.getMessage());
    }
}
