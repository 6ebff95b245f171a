package io.sparkdiffusion.spark;

import io.sparkdiffusion.metrics.FeatureMoments;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import scala.reflect.ClassTag$;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureSummaryTest {

    @Test
    void hashedPositionsPickAUniformSampleOfARowOrder() {
        // The 600 smallest keys of 3,000 rows in two partitions: each sixth of each partition (rows sorted by anything,
        // e.g. by randomSplit) should hold about 50 of them; binomial(600 * 1/12) has sd ~6.6, 4 sd is 26.
        int perPartition = 1500;
        Integer[] rows = IntStream.range(0, 2 * perPartition).boxed().toArray(Integer[]::new);
        Arrays.sort(rows, Comparator.comparingLong(r -> FeatureSummary.positionKey(r / perPartition, r % perPartition)));
        int[] perBin = new int[12];
        for (int i = 0; i < 600; i++) {
            perBin[rows[i] / 250]++;
        }
        for (int count : perBin) {
            assertTrue(Math.abs(count - 50) < 26, Arrays.toString(perBin));
        }
        assertEquals(600, Arrays.stream(perBin).sum());
    }

    static Stream<Serializer> serializers() {
        return Stream.of(new org.apache.spark.serializer.JavaSerializer(new SparkConf()),
                new KryoSerializer(new SparkConf().set("spark.serializer", KryoBuffers.KRYO)));
    }

    /** The partial summaries travel as task results of treeAggregate, through spark.serializer (Java or Kryo). */
    @ParameterizedTest
    @MethodSource("serializers")
    void survivesBothOfSparksSerializers(Serializer serializer) {
        FeatureSummary s = new FeatureSummary(2, 3, true, 5);
        s.moments.add(new float[] {1, 2}, 0).add(new float[] {3, 6}, 0);
        s.tally.add(1, 1).add(2, 0);
        SerializerInstance instance = serializer.newInstance();
        var tag = ClassTag$.MODULE$.<FeatureSummary>apply(FeatureSummary.class);
        FeatureSummary back = instance.deserialize(instance.serialize(s, tag), tag);
        FeatureMoments m = back.moments;
        assertEquals(2, m.count());
        assertArrayEquals(new double[] {2, 4}, m.mean(), 0.0);
        assertEquals(0.5, back.tally.accuracy(), 0.0);
        assertEquals(0, back.keptCount());
    }
}
