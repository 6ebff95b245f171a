package io.sparkdiffusion.spark;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.sparkdiffusion.train.PartitionResult;
import io.sparkdiffusion.train.RoundStart;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.SliceMean;
import io.sparkdiffusion.train.WeightedSum;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

import java.io.IOException;
import java.io.Serializable;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What crosses processes in a fit (the round's broadcast, the task results, the cached shards) survives both of
 * Spark's serializers, Kryo with nothing but {@code spark.serializer} set (no registrator), as a cluster would
 * configure it. No SparkContext: the serializers are Spark's own classes, used directly.
 */
class SerializersTest {

    static Stream<Serializer> serializers() {
        return Stream.of(new org.apache.spark.serializer.JavaSerializer(new SparkConf()),
                new KryoSerializer(new SparkConf().set("spark.serializer", KryoBuffers.KRYO)));
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(Serializer serializer, T value) {
        SerializerInstance s = serializer.newInstance();
        var tag = ClassTag$.MODULE$.<T>apply(value.getClass());
        return (T) s.deserialize(s.serialize(value, tag), tag);
    }

    @ParameterizedTest
    @MethodSource("serializers")
    void roundStartWithSharedAndOwnStates(Serializer serializer) {
        RoundStart shared = new RoundStart(3, 60, new float[] {1f, -2.5f}, new float[] {0.25f, 4f, 8f, 16f}, Map.of(), 4);
        RoundStart back = roundTrip(serializer, shared);
        assertEquals(3, back.round());
        assertEquals(60, back.startStep());
        assertArrayEquals(new float[] {1f, -2.5f}, back.params());
        assertArrayEquals(new float[] {0.25f, 4f, 8f, 16f}, back.stateFor(1));

        RoundStart own = new RoundStart(0, 0, new float[] {7f}, null, Map.of(2, new float[] {5f, 6f}), 2);
        RoundStart ownBack = roundTrip(serializer, own);
        assertNull(ownBack.sharedState());
        assertArrayEquals(new float[] {5f, 6f}, ownBack.stateFor(2));
        assertArrayEquals(new float[] {0f, 0f}, ownBack.stateFor(0), "a partition without state starts from zeros");
    }

    /** (2 [1, 2] + 6 [5, -2]) / 8 = [4, -1]: the mean of a sum sent as one partition, and as merged sums. */
    @ParameterizedTest
    @MethodSource("serializers")
    void weightedSumsOfOneAndOfTwoPartitions(Serializer serializer) {
        WeightedSum one = roundTrip(serializer, new WeightedSum(true)
                .add(new PartitionResult(0, new float[] {1f, 2f}, new float[] {10f}, 2, 1.0, 5)));
        WeightedSum two = roundTrip(serializer, new WeightedSum(true)
                .add(new PartitionResult(1, new float[] {5f, -2f}, new float[] {50f}, 6, 6.0, 7))
                .add(new PartitionResult(2, new float[] {100f, 100f}, new float[] {0f}, 0, 0, 9)));
        WeightedSum merged = roundTrip(serializer, new WeightedSum(true).merge(one).merge(two));
        assertArrayEquals(new float[] {4f, -1f}, merged.meanParams());
        assertArrayEquals(new float[] {40f}, merged.meanOptimizerState());
        assertEquals(8, merged.images());
        assertEquals(2, merged.partitions());
        assertEquals(9, merged.maxComputeNanos());
        assertEquals(5 + 7 + 9, merged.totalComputeNanos());

        WeightedSum own = roundTrip(serializer, new WeightedSum(false)
                .add(new PartitionResult(4, new float[] {1f}, new float[] {3f, 4f}, 2, 1.0, 1))
                .add(new PartitionResult(5, new float[] {3f}, new float[] {5f, 6f}, 2, 1.0, 1)));
        assertArrayEquals(new float[] {2f}, own.meanParams());
        assertArrayEquals(new float[] {5f, 6f}, own.partitionStates().get(5));
    }

    /** The sliced reduction's pieces (an empty partition's has null arrays) and averaged slices, arrays in bulk. */
    @ParameterizedTest
    @MethodSource("serializers")
    void slicePiecesAndMeans(Serializer serializer) {
        float[] w = {1f, -0f, Float.MIN_VALUE, Float.NaN, 3e38f};
        PartitionResult piece = roundTrip(serializer, new PartitionResult(3, w, new float[] {7f}, 12, 2.5, 99));
        assertArrayEquals(w, piece.params());
        assertArrayEquals(new float[] {7f}, piece.optimizerState());
        assertEquals(List.of(3, 12L, 2.5, 99L), List.of(piece.partition(), piece.images(), piece.lossSum(),
                piece.computeNanos()));
        PartitionResult empty = roundTrip(serializer, new PartitionResult(1, null, null, 0, 0, 5));
        assertNull(empty.params());
        assertNull(empty.optimizerState());
        float[] big = new float[200_000]; // more than one bulk chunk
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.5f - 7;
        }
        SliceMean mean = roundTrip(serializer, new SliceMean(2, big, null, Map.of(4, new float[] {1f, 2f}), 30, 0.75,
                3, 11, 29));
        assertArrayEquals(big, mean.meanParams());
        assertNull(mean.meanState());
        assertArrayEquals(new float[] {1f, 2f}, mean.partitionStates().get(4));
        assertEquals(List.of(2, 30L, 0.75, 3, 11L, 29L), List.of(mean.slice(), mean.images(), mean.meanLoss(),
                mean.partitions(), mean.maxComputeNanos(), mean.totalComputeNanos()));
    }

    @ParameterizedTest
    @MethodSource("serializers")
    void shardsWithAndWithoutLabels(Serializer serializer) {
        Shard labelled = new Shard(new float[] {0.5f, -0.5f, 1f, -1f}, new int[] {3, -1}, 2);
        assertEquals(labelled, roundTrip(serializer, labelled));
        Shard plain = new Shard(new float[] {0.125f, 0.25f, 0.375f}, null, 3);
        assertEquals(plain, roundTrip(serializer, plain));
    }

    /**
     * Every serializable record of the packages that Spark ships names Kryo's JavaSerializer, so that Kryo does not
     * try (and fail) to build it field by field; records elsewhere reach Spark only inside these.
     */
    @Test
    void everySerializableRecordNamesTheJavaSerializerForKryo() throws IOException, URISyntaxException {
        Path classes = Path.of(RoundStart.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> missing = new ArrayList<>();
        int records = 0;
        for (String pkg : List.of("train", "model", "spark", "cli", "io")) {
            Path dir = classes.resolve("io/sparkdiffusion/" + pkg);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    String name = "io.sparkdiffusion." + pkg + "." + f.getFileName().toString().replace(".class", "");
                    Class<?> c;
                    try {
                        c = Class.forName(name, false, getClass().getClassLoader());
                    } catch (ClassNotFoundException | LinkageError e) {
                        continue;
                    }
                    if (c.isRecord() && Serializable.class.isAssignableFrom(c)) {
                        records++;
                        DefaultSerializer d = c.getAnnotation(DefaultSerializer.class);
                        if (d == null || d.value() != JavaSerializer.class) {
                            missing.add(name);
                        }
                    }
                }
            }
        }
        assertTrue(records >= 4, "found only " + records + " serializable records under " + classes);
        assertEquals(List.of(), missing, "serializable records without @DefaultSerializer(JavaSerializer.class)");
    }
}
