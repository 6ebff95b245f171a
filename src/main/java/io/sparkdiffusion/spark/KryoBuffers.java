package io.sparkdiffusion.spark;

import org.apache.spark.SparkConf;

import java.util.Locale;

/**
 * Whether Kryo's output buffer can hold what a fit ships, checked before the first round.
 *
 * <p>Under {@code spark.serializer=org.apache.spark.serializer.KryoSerializer} every serialized object must fit in
 * one Kryo buffer of at most {@code spark.kryoserializer.buffer.max} (default 64m, below 2048m). The largest objects
 * of a fit, for {@code P} weights, optimizer state of {@code S} floats and {@code N} partitions, are
 * <ul>
 *   <li>a partial {@code WeightedSum} of two or more partitions (a task result of {@code treeAggregate}): a sum
 *       and a compensation in double for the weights and the averaged state, {@code 16 (P + S)} bytes, or
 *       {@code 16 P + 4 S N} when every partition keeps its own state; with the sliced reduction
 *       ({@link ReductionPlan}) instead a piece of a partition's result or an averaged slice, a few MiB;</li>
 *   <li>the round's broadcast: {@code 4 (P + S)} bytes;</li>
 *   <li>a cached shard read from another executor or from disk: {@code 4} bytes per float of its images.</li>
 * </ul>
 * unet-small (1.6 M weights, Adam: 3.2 M floats of state) needs about 80 MB: more than the default.
 */
final class KryoBuffers {
    static final String SERIALIZER = "spark.serializer";
    static final String KRYO = "org.apache.spark.serializer.KryoSerializer";
    static final String BUFFER_MAX = "spark.kryoserializer.buffer.max";
    /** Spark's default for {@link #BUFFER_MAX}. */
    static final long DEFAULT_MAX_BYTES = 64L << 20;
    /** Kryo's limit: its buffers are Java arrays, and Spark requires buffer.max below 2048m. */
    static final long LIMIT_BYTES = 2047L << 20;
    /** Room for the serialization framing around the arrays (class names, lengths, map entries). */
    private static final double MARGIN = 1.1;
    private static final long MARGIN_BYTES = 1L << 20;

    private KryoBuffers() {
    }

    /** The most bytes one serialized object of a fit takes (see the class comment), with a margin. */
    static long neededBytes(long numParams, long stateSize, int partitions, boolean averageState,
                            long largestShardFloats) {
        long sum = 16 * numParams + (averageState ? 16 * stateSize : 4 * stateSize * partitions);
        long broadcast = 4 * (numParams + (averageState ? stateSize : 0));
        return neededBytes(sum, broadcast, largestShardFloats);
    }

    /**
     * The most bytes one serialized object of a fit takes, with a margin, from its largest reduction object (a
     * partial sum of the tree, or a piece or averaged slice of the sliced reduction), its broadcast and its
     * largest shard.
     */
    static long neededBytes(long largestReductionBytes, long broadcastBytes, long largestShardFloats) {
        long shard = 4 * largestShardFloats;
        return (long) (Math.max(largestReductionBytes, Math.max(broadcastBytes, shard)) * MARGIN) + MARGIN_BYTES;
    }

    /**
     * Fails, naming the setting and the size that would do, when {@code conf} uses Kryo with a buffer smaller than
     * {@code neededBytes}; nothing to check for Java serialization, whose streams have no such limit.
     */
    static void check(SparkConf conf, long neededBytes) {
        if (!KRYO.equals(conf.get(SERIALIZER, ""))) {
            return;
        }
        long max = conf.contains(BUFFER_MAX) ? conf.getSizeAsBytes(BUFFER_MAX) : DEFAULT_MAX_BYTES;
        if (max >= neededBytes) {
            return;
        }
        long mib = (neededBytes + (1L << 20) - 1) >> 20;
        if (neededBytes > LIMIT_BYTES) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s=%s cannot serialize this model: its "
                    + "largest task result or broadcast takes about %d MiB, more than Kryo's limit of 2047m; use "
                    + "Spark's default Java serializer (unset %s) for this model", SERIALIZER, KRYO, mib, SERIALIZER));
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s is %d MiB%s, but with %s=%s this model "
                        + "ships objects of up to about %d MiB (round results and broadcasts); set %s to %dm or more",
                BUFFER_MAX, max >> 20, conf.contains(BUFFER_MAX) ? "" : " (Spark's default)", SERIALIZER, KRYO, mib,
                BUFFER_MAX, mib));
    }
}
