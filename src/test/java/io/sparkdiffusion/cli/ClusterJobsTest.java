package io.sparkdiffusion.cli;

import io.sparkdiffusion.io.AtomicFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI on a real standalone cluster ({@link LocalCluster}: a Master and 2 Workers of 1 core, executors in their
 * own JVMs) through spark-submit, against the same commands run embedded on {@code local[2]}:
 * <ul>
 *   <li>training a tiny network in 8 partitions gives bit-identical weights under the Java serializer and under
 *       Kryo (with nothing but {@code spark.serializer} set), and when one executor is killed with SIGKILL during
 *       the fit (Spark starts a new one and recomputes the cached shards it held);</li>
 *   <li>sampling under Kryo writes the embedded run's files byte for byte, although an executor dies while it
 *       writes them: every file once, whole, and nothing else;</li>
 *   <li>a setting in the cluster's own spark-defaults.conf reaches the driver, and every job of a fit carries its
 *       job group and description (both read from the application's event log, written by Spark's listener).</li>
 * </ul>
 */
class ClusterJobsTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir"));
    private static final String KRYO = "--conf spark.serializer=org.apache.spark.serializer.KryoSerializer";
    private static final int ROUNDS = 4;
    private static final int NUM_SAMPLES = 24;
    /** Enough steps that sampling lasts a few seconds, so an executor can be killed while it writes. */
    private static final String SAMPLE_STEPS = "24";
    private static final String MARKER_KEY = "spark.sparkdiffusion.test.marker";
    private static final List<String> MODEL_FILES = List.of("weights-00000.bin", "ema-00000.bin");

    private static LocalCluster cluster;
    private static Path dir;
    private static Path config;
    private static Path reference;
    private static Path referenceSamples;
    private static String marker;

    @BeforeAll
    static void trainAndSampleEmbedded() throws Exception {
        cluster = LocalCluster.shared();
        dir = Files.createDirectories(ROOT.resolve("target/test-cluster/runs/" + UUID.randomUUID()));
        config = dir.resolve("tiny.json");
        // A tiny class-conditional U-Net (8 channels, 3 levels, one block each, attention at 7 x 7) on 96 images.
        Files.writeString(config, """
                {"data": "data/fashion-mnist", "dataFormat": "idx", "maxImages": 96, "overwrite": true,
                 "parameterization": "edm", "modelChannels": 8, "channelMult": [1, 2, 2], "numResBlocks": 1,
                 "imageSize": 28, "numClasses": 10, "batchSize": 4, "localSteps": 3, "numRounds": %d,
                 "numPartitions": 8, "learningRate": 0.002, "warmupSteps": 4, "emaHalfLifeImages": 100, "seed": 7,
                 "numSteps": 4, "gridColumns": 2}
                """.formatted(ROUNDS));
        marker = UUID.randomUUID().toString();
        Files.writeString(cluster.clusterDefaults(), MARKER_KEY + " " + marker + "\n", StandardOpenOption.APPEND);

        reference = dir.resolve("embedded");
        Path log = dir.resolve("embedded-train.log");
        LocalCluster.await(cluster.embedded(log, "train", config.toString(), "--output", reference.toString()), log);
        referenceSamples = dir.resolve("embedded-samples");
        Path sampleLog = dir.resolve("embedded-sample.log");
        LocalCluster.await(cluster.embedded(sampleLog, sampleArgs(referenceSamples)), sampleLog);
    }

    private static String[] sampleArgs(Path out) {
        return new String[] {"sample", "--model", reference.resolve("model").toString(), "--num",
                String.valueOf(NUM_SAMPLES), "--seed", "100", "--num-steps", SAMPLE_STEPS, "--out", out.toString()};
    }

    private static void assertSameModel(Path run) throws IOException {
        for (String f : MODEL_FILES) {
            assertArrayEquals(Files.readAllBytes(reference.resolve("model/data/" + f)),
                    Files.readAllBytes(run.resolve("model/data/" + f)), f + " of " + run + " differs from the embedded run's");
        }
    }

    @Test
    void trainingOnTheClusterEqualsTheEmbeddedRunAndTheDriverSeesTheClustersDefaults() throws Exception {
        Path events = Files.createDirectories(dir.resolve("events"));
        Path run = dir.resolve("cluster-java");
        Path log = dir.resolve("cluster-java.log");
        LocalCluster.await(cluster.submit(log, "--conf spark.eventLog.enabled=true --conf spark.eventLog.compress=false"
                + " --conf spark.eventLog.rolling.enabled=false --conf spark.eventLog.dir=" + events.toUri(), "train", config.toString(), "--output", run.toString()), log);
        assertSameModel(run);

        String eventLog;
        try (Stream<Path> files = Files.list(events)) {
            List<Path> logs = files.toList();
            assertEquals(1, logs.size(), "expected one event log, got " + logs);
            eventLog = Files.readString(logs.get(0), StandardCharsets.UTF_8);
        }
        assertTrue(eventLog.contains("\"" + MARKER_KEY + "\":\"" + marker + "\""),
                "the driver's Spark properties lack " + MARKER_KEY + " from " + cluster.clusterDefaults());
        assertTrue(eventLog.contains("\"spark.executor.extraJavaOptions\":\"--add-modules=jdk.incubator.vector"),
                "the project's conf/spark-defaults.conf did not reach the driver either");
        for (int r = 1; r <= ROUNDS; r++) {
            assertTrue(eventLog.matches("(?s).*\"spark.job.description\":\"DiffusionTrainer diffusionTrainer_[0-9a-f]+: "
                    + "round " + r + "/" + ROUNDS + "\".*"), "no job described as round " + r + "/" + ROUNDS);
        }
        assertTrue(eventLog.matches("(?s).*\"spark.jobGroup.id\":\"diffusionTrainer_[0-9a-f]+\".*"), "no job group");
        assertTrue(eventLog.matches("(?s).*\"spark.job.description\":\"DiffusionModel diffusionTrainer_[0-9a-f]+: "
                + "sampling 20 images\".*"), "the sample grid's job has no description");
    }

    @Test
    void trainingUnderKryoEqualsTheEmbeddedRun() throws Exception {
        Path run = dir.resolve("cluster-kryo");
        Path log = dir.resolve("cluster-kryo.log");
        LocalCluster.await(cluster.submit(log, KRYO, "train", config.toString(), "--output", run.toString()), log);
        assertSameModel(run);
    }

    @Test
    void aKilledExecutorIsReplacedAndTheWeightsAreTheSame() throws Exception {
        Path run = dir.resolve("cluster-killed");
        Path log = dir.resolve("cluster-killed.log");
        Process p = cluster.submit(log, "", "train", config.toString(), "--output", run.toString());
        assertTrue(LocalCluster.waitForText(log, "round 1/" + ROUNDS, 300), "round 1 never finished:\n" + Files.readString(log));
        String app = LocalCluster.latestApp(1);
        List<ProcessHandle> victims = LocalCluster.executors(1, app);
        assertEquals(1, victims.size(), "expected one executor of " + app + " under worker-1, got " + victims);
        victims.get(0).destroyForcibly(); // SIGKILL
        LocalCluster.await(p, log);
        assertTrue(Files.readString(log).contains("Lost executor"), "the driver never lost the executor:\n"
                + Files.readString(log));

        assertTrue(executorDirs(1, app).size() >= 2, "worker-1 started no new executor for " + app + ": "
                + executorDirs(1, app));
        assertSameModel(run);
    }

    @Test
    void samplingOnTheClusterWritesTheEmbeddedRunsFilesEvenWhenAnExecutorDies() throws Exception {
        Path out = dir.resolve("cluster-samples-killed");
        Path log = dir.resolve("cluster-sample-killed.log");
        Process p = cluster.submit(log, KRYO, sampleArgs(out));
        assertTrue(waitForFile(out, 300), "no sample file appeared:\n" + Files.readString(log));
        String app = LocalCluster.latestApp(1);
        List<ProcessHandle> victims = LocalCluster.executors(1, app);
        assertEquals(1, victims.size(), "expected one executor of " + app + " under worker-1, got " + victims);
        victims.get(0).destroyForcibly();
        LocalCluster.await(p, log);
        assertTrue(Files.readString(log).contains("Lost executor"), "the driver never lost the executor:\n"
                + Files.readString(log));
        assertSameFiles(out);
    }

    /** The visible files of {@code out} are those of the embedded run, byte for byte; hidden ones are temp files. */
    private static void assertSameFiles(Path out) throws IOException {
        List<String> expected = visible(referenceSamples);
        assertEquals(NUM_SAMPLES + 1, expected.size(), "the embedded run wrote " + expected);
        assertEquals(expected, visible(out));
        for (String name : expected) {
            assertArrayEquals(Files.readAllBytes(referenceSamples.resolve(name)), Files.readAllBytes(out.resolve(name)),
                    name + " differs from the embedded run's");
        }
        try (Stream<Path> files = Files.list(out)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                assertTrue(!name.startsWith(".") || AtomicFiles.isTempName(name) || name.endsWith(".crc"),
                        "unexpected file " + name);
            }
        }
    }

    private static List<String> visible(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    private static boolean waitForFile(Path dir, int seconds) throws InterruptedException, IOException {
        for (int i = 0; i < seconds * 10; i++) {
            if (Files.isDirectory(dir) && !visible(dir).isEmpty()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static List<String> executorDirs(int worker, String app) throws IOException {
        Path appDir = ROOT.resolve("target/test-cluster/work/worker-" + worker + "/" + app);
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(appDir)) {
            files.filter(Files::isDirectory).forEach(f -> out.add(f.getFileName().toString()));
        }
        return out;
    }
}
