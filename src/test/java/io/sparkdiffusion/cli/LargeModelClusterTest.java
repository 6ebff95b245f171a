package io.sparkdiffusion.cli;

import io.sparkdiffusion.spark.QuadraticObjective;
import io.sparkdiffusion.spark.ReductionProbe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 13, point 1: a model of 60 M weights trains for 3 rounds in 8 partitions on the one-machine cluster
 * ({@link LocalCluster}: 2 executors of 1 core and 2g) with a 2g driver and Spark's default
 * {@code spark.driver.maxResultSize} (1g; the tree would send the driver 2 partial sums of 960 MB). The objective
 * is {@link QuadraticObjective} (one pass over the weights per step), whose image-weighted mean after each round has
 * a closed form evaluated here in double; and a run in which partition 3's first attempt fails in every round gives
 * the same weights bit for bit. And the pre-flight check, on the same cluster, through the command line.
 */
class LargeModelClusterTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir"));
    private static final int NUM_PARAMETERS = 60_000_000;
    private static final int PARTITIONS = 8;
    private static final int ROUNDS = 3;
    private static final int LOCAL_STEPS = 2;
    /**
     * The weights are O(1) (|w| < 3); each of the 6 float SGD steps and each float mean rounds at 2^-24 relative,
     * so the float result is within a few 1e-7 of the double closed form; 2e-6 leaves room and would still catch
     * a partition weighted wrongly or counted twice (that moves weights by more than 1e-2).
     */
    private static final double FLOAT_TOL = 2e-6;

    @Test
    void sixtyMillionWeightsAverageToTheClosedFormAndARetryChangesNothing() throws Exception {
        LocalCluster cluster = LocalCluster.shared();
        Path dir = Files.createDirectories(ROOT.resolve("target/test-cluster/runs/" + UUID.randomUUID()));
        Path out = dir.resolve("large");
        Path log = dir.resolve("large.log");
        try {
            LocalCluster.await(cluster.sparkSubmit(log, "--driver-memory", "2g", "--executor-memory", "2g",
                    "--class", ReductionProbe.class.getName(), LocalCluster.testJar().toString(), "check",
                    out.toString(), String.valueOf(NUM_PARAMETERS), String.valueOf(PARTITIONS),
                    String.valueOf(ROUNDS), String.valueOf(LOCAL_STEPS)), log);
            String output = Files.readString(log);
            assertTrue(Files.readString(out.resolve("summary.txt")).startsWith("reduction sliced"),
                    Files.readString(out.resolve("summary.txt")));
            assertTrue(output.contains("injected task failure (partition 3, attempt 0)"), "no failure was injected:\n"
                    + output);

            double[] pixel = new double[PARTITIONS];
            long[] images = new long[PARTITIONS];
            for (int p = 0; p < PARTITIONS; p++) {
                pixel[p] = ReductionProbe.pixel(p);
                images[p] = ReductionProbe.imagesPerRound(p, LOCAL_STEPS);
            }
            FloatBuffer clean = floats(out.resolve("clean.bin"));
            FloatBuffer retried = floats(out.resolve("retried.bin"));
            assertEquals(NUM_PARAMETERS, clean.remaining());
            assertEquals(NUM_PARAMETERS, retried.remaining());
            double worst = 0;
            for (int i = 0; i < NUM_PARAMETERS; i++) {
                float w = clean.get(i);
                if (Float.floatToRawIntBits(w) != Float.floatToRawIntBits(retried.get(i))) {
                    fail("weight " + i + ": " + w + " in the fault-free run, " + retried.get(i) + " with retries");
                }
                double expected = QuadraticObjective.expectedMean(i, pixel, images, ROUNDS, LOCAL_STEPS,
                        0.5);
                worst = Math.max(worst, Math.abs(w - expected));
                if (!(Math.abs(w - expected) <= FLOAT_TOL)) {
                    fail("weight " + i + " is " + w + ", the closed form gives " + expected);
                }
            }
            System.out.println("largest difference from the closed form: " + worst);
        } finally {
            for (String f : new String[] {"clean.bin", "retried.bin"}) {
                Files.deleteIfExists(out.resolve(f)); // 240 MB each
            }
        }
    }

    /**
     * Issue 13, point 2: with {@code spark.driver.maxResultSize=1m}, a fit of a tiny U-Net in 8 partitions forced
     * onto the tree (2 partial sums of 16 bytes per float, a few MB) stops before its first round, naming the
     * setting; with {@code reduction} auto the same fit takes the slices (jobs of at most 512 KiB) and trains.
     */
    @Test
    void aFitWhoseResultsExceedMaxResultSizeFailsBeforeTrainingNamingTheSetting() throws Exception {
        LocalCluster cluster = LocalCluster.shared();
        Path dir = Files.createDirectories(ROOT.resolve("target/test-cluster/runs/" + UUID.randomUUID()));
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, """
                {"data": "data/fashion-mnist", "dataFormat": "idx", "maxImages": 64, "overwrite": true,
                 "modelChannels": 8, "channelMult": [1, 2, 2], "numResBlocks": 1, "imageSize": 28,
                 "batchSize": 4, "localSteps": 1, "numRounds": 1, "numPartitions": 8, "numSteps": 2, "gridColumns": 2}
                """);
        Path treeLog = dir.resolve("tree.log");
        Process tree = cluster.submit(treeLog, "--conf spark.driver.maxResultSize=1m", "train", config.toString(),
                "--reduction", "tree", "--output", dir.resolve("tree").toString());
        assertTrue(tree.waitFor(LocalCluster.JOB_TIMEOUT_MINUTES, java.util.concurrent.TimeUnit.MINUTES));
        String output = Files.readString(treeLog);
        assertTrue(tree.exitValue() != 0, "the fit did not fail:\n" + output);
        assertTrue(output.contains("spark.driver.maxResultSize is 1.0 MiB, but with reduction=tree"), output);
        assertTrue(output.contains("set spark.driver.maxResultSize to "), output);
        assertTrue(!output.contains("round 1/1"), "a round ran before the check:\n" + output);

        Path autoLog = dir.resolve("auto.log");
        LocalCluster.await(cluster.submit(autoLog, "--conf spark.driver.maxResultSize=1m", "train", config.toString(),
                "--output", dir.resolve("auto").toString()), autoLog);
        // The tree would have been refused as above (the driver's log shows INFO, not the choice): it trained sliced.
        assertTrue(Files.readString(autoLog).contains("round 1/1"), Files.readString(autoLog));
    }

    private static FloatBuffer floats(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }
    }
}
