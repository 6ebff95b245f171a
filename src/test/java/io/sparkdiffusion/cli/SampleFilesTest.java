package io.sparkdiffusion.cli;

import io.sparkdiffusion.io.Png;
import io.sparkdiffusion.spark.SparkTestBase;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.SerializableConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Sample files written by Spark tasks: names from seeds, exact bytes, nothing partial after a retried task. */
class SampleFilesTest extends SparkTestBase {
    private static final Shape SHAPE = Shape.of(1, 2, 3);
    private static final int NUM = 9;

    @TempDir
    Path dir;

    /** The image of a seed: six pixels from -1 to 1, shifted by the seed (an independent closed form). */
    private static float[] image(long seed) {
        float[] v = new float[6];
        for (int i = 0; i < 6; i++) {
            v[i] = -1f + ((seed + i) % 6) * 0.4f;
        }
        return v;
    }

    @Test
    void namesAreZeroPaddedSeeds() {
        assertEquals("sample-00000042.png", SampleFiles.fileName(42));
        assertEquals("sample-123456789.png", SampleFiles.fileName(123_456_789));
        assertThrows(IllegalArgumentException.class, () -> SampleFiles.fileName(-1));
    }

    @Test
    void aRetriedTaskLeavesWholeIdenticalFilesAndNoTempFiles() throws IOException {
        // The first attempt of partition 0 dies after its first image, once files may already be written.
        UDF1<Long, float[]> draw = seed -> {
            TaskContext task = TaskContext.get();
            if (task.partitionId() == 0 && task.attemptNumber() == 0 && seed > 0) {
                throw new IllegalStateException("injected failure of the first attempt");
            }
            return image(seed);
        };
        Dataset<Row> samples = spark().range(0, NUM, 1, 3).withColumnRenamed("id", "seed")
                .withColumn("sample", udf(draw, DataTypes.createArrayType(DataTypes.FloatType, false)).apply(col("seed")));
        SampleFiles.writeAll(samples, "seed", "sample", SHAPE, dir.toUri().toString(),
                new SerializableConfiguration(spark().sparkContext().hadoopConfiguration()));

        List<String> expected = LongStream.range(0, NUM).mapToObj(SampleFiles::fileName).toList();
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(expected, files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "one file per seed, no temp or .crc files");
        }
        for (long seed = 0; seed < NUM; seed++) {
            assertArrayEquals(Png.encode(new Tensor(image(seed), SHAPE)),
                    Files.readAllBytes(dir.resolve(SampleFiles.fileName(seed))), "seed " + seed);
        }
    }

    @Test
    void gridsHaveOneRowPerClass() throws IOException {
        UDF1<Long, float[]> draw = SampleFilesTest::image;
        List<Row> rows = spark().range(0, 6, 1, 2).selectExpr("id AS seed", "CAST(id % 3 AS INT) AS label")
                .withColumn("sample", udf(draw, DataTypes.createArrayType(DataTypes.FloatType, false)).apply(col("seed")))
                .collectAsList();
        Tensor grid = Png.decode(SampleFiles.grid(rows, SHAPE, 3, 10), "grid");
        // 3 classes x 2 seeds each, cells 2x3 with a 2-pixel gap: [1, 3*2 + 4*2, 2*3 + 3*2].
        assertEquals(Shape.of(1, 14, 12), grid.shape());
        // Row 1 (class 1) starts with seed 1 (seeds 1 and 4 have label 1): its first pixel is image(1)[0].
        assertEquals(image(1)[0], grid.get((2 + 2 + 2) * 12 + 2), 1f / 255);
        assertEquals(image(4)[0], grid.get((2 + 2 + 2) * 12 + 2 + 3 + 2), 1f / 255);
    }

}
