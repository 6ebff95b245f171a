package io.sparkdiffusion.cli;

import io.sparkdiffusion.io.AtomicFiles;
import io.sparkdiffusion.spark.DiffusionModel;
import io.sparkdiffusion.spark.DiffusionTrainer;
import io.sparkdiffusion.spark.FaultInjection;
import io.sparkdiffusion.spark.SparkTestBase;
import io.sparkdiffusion.tensor.Shape;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Point 1 of the fault issue, for output files: a sampling task that dies after writing some of its PNGs and
 * is retried leaves exactly one complete file per seed, byte-identical to a fault-free run, and no temp file.
 */
class SampleFilesRetryTest extends SparkTestBase {
    private static final int SIZE = 8;

    @Test
    void aRetriedSamplingTaskLeavesEachFileOnceAndWhole(@TempDir Path dir) throws IOException {
        DiffusionModel model = tinyModel().setNumSteps(3).setSampleBatchSize(1);
        Dataset<Row> seeds = spark().range(0, 8, 1, 2).withColumnRenamed("id", "seed");
        SerializableConfiguration conf = new SerializableConfiguration(spark().sparkContext().hadoopConfiguration());
        Shape shape = Shape.of(1, SIZE, SIZE);
        Path clean = dir.resolve("clean");
        SampleFiles.writeAll(model.transform(seeds), "seed", "sample", shape, clean.toUri().toString(), conf);

        // Partition 1 holds seeds 4..7: its first attempt writes sample 4 and 5, then dies reading seed 6.
        FaultInjection.inputBudget = new FaultInjection.Budget(1);
        Dataset<Row> faultySeeds = seeds.select(FaultInjection.failingAt(6, 1).apply(col("seed")).as("seed"));
        Path faulty = dir.resolve("faulty");
        SampleFiles.writeAll(model.transform(faultySeeds), "seed", "sample", shape, faulty.toUri().toString(), conf);
        assertEquals(1, FaultInjection.inputBudget.thrown(), "the failure was injected");

        TreeSet<String> expected = new TreeSet<>();
        for (long s = 0; s < 8; s++) {
            expected.add(SampleFiles.fileName(s));
        }
        assertEquals(expected, names(clean));
        assertEquals(expected, names(faulty), "one file per seed, no temp or partial file");
        for (String name : expected) {
            assertArrayEquals(Files.readAllBytes(clean.resolve(name)), Files.readAllBytes(faulty.resolve(name)), name);
        }
    }

    /** Every name in {@code dir}, hidden temp files included (there must be none). */
    private static TreeSet<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            TreeSet<String> names = files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
            names.forEach(n -> {
                if (AtomicFiles.isTempName(n)) {
                    throw new AssertionError("temp file left behind: " + n);
                }
            });
            return names;
        }
    }

    /** A one-round model on four random 8 x 8 images: the weights only need to be fixed, not good. */
    static DiffusionModel tinyModel() {
        StructType schema = new StructType().add("tensor", DataTypes.createArrayType(DataTypes.FloatType, false));
        SplittableRandom r = new SplittableRandom(3);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            float[] img = new float[SIZE * SIZE];
            for (int j = 0; j < img.length; j++) {
                img[j] = (float) (2 * r.nextDouble() - 1);
            }
            rows.add(RowFactory.create((Object) img));
        }
        return new DiffusionTrainer().setImageChannels(1).setImageSize(SIZE).setModelChannels(4)
                .setChannelMult(new int[] {1, 2}).setNumResBlocks(1).setBatchSize(4).setLocalSteps(2).setNumRounds(1)
                .setSeed(5).fit(spark().createDataFrame(
                        JavaSparkContext.fromSparkContext(spark().sparkContext()).parallelize(rows, 1), schema));
    }
}
