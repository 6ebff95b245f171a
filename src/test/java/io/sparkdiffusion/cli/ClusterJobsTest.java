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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 *       job group and description (both read from the application's event log, written by Spark's listener);</li>
 *   <li>spark-submit's {@code --packages} with the project's coordinates, resolved from a Maven repository, runs a
 *       job.</li>
 * </ul>
 */
class ClusterJobsTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir"));
    private static final String KRYO = "--conf spark.serializer=org.apache.spark.serializer.KryoSerializer";
    private static final int ROUNDS = 4;
    private static final int NUM_SAMPLES = 24;
    /** Enough steps that sampling lasts a few seconds, so an executor can be killed while it writes. */
    private static final String SAMPLE_STEPS = "24";
    /** Per-round losses of 2 and 8 partitions with syncMode gradients: float sums in another grouping only. */
    private static final double SYNC_LOSS_REL_TOL = 1e-5;
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
        assertTrue(eventLog.contains("\"spark.driver.maxResultSize\":\"2g\""),
                "the project's conf/spark-defaults.conf did not reach the driver");
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

    /**
     * syncMode gradients: the data's one shuffle into groups and the gradients cross processes under Kryo, and 8
     * partitions on the cluster train the model 2 embedded partitions train (the same images and noise every step;
     * float sums in another grouping only).
     */
    @Test
    void gradientSyncOnTheClusterUnderKryoTrainsTheModelOfTwoEmbeddedPartitions() throws Exception {
        String[] sync = {"--sync-mode", "gradients", "--local-steps", "1", "--global-batch-size", "8"};
        Path embedded = dir.resolve("sync-embedded");
        Path embeddedLog = dir.resolve("sync-embedded.log");
        LocalCluster.await(cluster.embedded(embeddedLog, concat(new String[] {"train", config.toString(), "--output",
                embedded.toString(), "--num-partitions", "2"}, sync)), embeddedLog);
        Path run = dir.resolve("sync-cluster");
        Path log = dir.resolve("sync-cluster.log");
        LocalCluster.await(cluster.submit(log, KRYO, concat(new String[] {"train", config.toString(), "--output",
                run.toString()}, sync)), log);
        List<Double> expected = roundLosses(embedded);
        List<Double> actual = roundLosses(run);
        assertEquals(ROUNDS, expected.size(), "rounds of the embedded run");
        assertEquals(expected.size(), actual.size(), "rounds of the cluster run");
        for (int r = 0; r < expected.size(); r++) {
            assertEquals(expected.get(r), actual.get(r), SYNC_LOSS_REL_TOL * expected.get(r), "loss of round " + (r + 1));
        }
        assertTrue(Files.readString(run.resolve("metrics.jsonl")).contains("\"partitions\":8,"),
                "the cluster run should train on 8 partitions");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static final Pattern ROUND_LOSS = Pattern.compile("\"loss\":([-0-9.eE]+)");

    /** The loss of each round, from the run's metrics.jsonl. */
    private static List<Double> roundLosses(Path run) throws IOException {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            Matcher m = ROUND_LOSS.matcher(line);
            if (line.contains("\"round\"") && m.find()) {
                losses.add(Double.parseDouble(m.group(1)));
            }
        }
        return losses;
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

    /**
     * A third Worker whose executors' {@code java} drops {@code --add-modules=jdk.incubator.vector} (as a host whose
     * launcher lost the flag would): the fit runs, and the driver's warning names exactly that executor.
     */
    @Test
    void anExecutorWithoutTheVectorModuleIsNamedInAWarning() throws Exception {
        Path javaHome = dir.resolve("jdk-without-vector");
        Path java = Files.createDirectories(javaHome.resolve("bin")).resolve("java");
        Files.writeString(java, """
                #!/usr/bin/env bash
                args=()
                for a in "$@"; do [ "$a" = --add-modules=jdk.incubator.vector ] || args+=("$a"); done
                exec "%s" "${args[@]}"
                """.formatted(Path.of(System.getProperty("java.home"), "bin", "java")));
        assertTrue(java.toFile().setExecutable(true));
        String name = "worker-without-vector";
        ProcessHandle worker = cluster.startWorker(name, javaHome);
        try {
            assertTrue(LocalCluster.waitForText(LocalCluster.log(name), "Successfully registered with master", 120),
                    "the extra worker did not register:\n" + Files.readString(LocalCluster.log(name)));
            Path run = dir.resolve("cluster-without-vector");
            Path log = dir.resolve("cluster-without-vector.log");
            // numPartitions 0: one per core of the cluster, counted once the 3 executors asked for have registered
            // (so every executor gets tasks).
            LocalCluster.await(cluster.submit(log, "--conf spark.cores.max=3", "train", config.toString(),
                    "--num-rounds", "1", "--num-partitions", "0", "--output", run.toString()), log);
            String app = LocalCluster.latestApp(1);
            List<String> slow = executorDirs(name, app);
            assertEquals(1, slow.size(), "executors of " + app + " on " + name + ": " + slow);
            String output = Files.readString(log);
            assertTrue(output.contains(" in 3 partitions: "), "not one partition per core:\n" + output);
            Matcher warning = Pattern.compile("spark-diffusion: (.*) run the slow fallback GEMM convolutions").matcher(output);
            assertTrue(warning.find(), "no warning about the slow executor:\n" + output);
            assertEquals("executor " + slow.get(0) + " (127.0.0.1)", warning.group(1));
        } finally {
            LocalCluster.stopDaemon(worker);
        }
    }

    /**
     * The jar and pom, laid out as {@code mvn install} lays them out in a Maven repository, resolved by spark-submit
     * from their coordinates ({@code --packages}); an Ivy settings file with that repository only, so nothing is
     * looked up anywhere else.
     */
    @Test
    void theCoordinatesResolvedFromAMavenRepositoryRunAJob() throws Exception {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        Matcher m = Pattern.compile("<groupId>([^<]+)</groupId>\\s*(?:<!--.*?-->\\s*)*<artifactId>([^<]+)</artifactId>\\s*"
                + "<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
        assertTrue(m.find(), "no coordinates in pom.xml");
        String group = m.group(1);
        String artifact = m.group(2);
        String version = m.group(3);
        assertEquals("spark-diffusion_2.13", artifact);
        Path repo = dir.resolve("m2");
        Path versionDir = Files.createDirectories(repo.resolve(group.replace('.', '/') + "/" + artifact + "/" + version));
        Files.copy(cluster.jar, versionDir.resolve(artifact + "-" + version + ".jar"));
        Files.copy(ROOT.resolve("pom.xml"), versionDir.resolve(artifact + "-" + version + ".pom"));
        Path ivySettings = dir.resolve("ivysettings.xml");
        Files.writeString(ivySettings, """
                <ivysettings>
                  <settings defaultResolver="local-maven-repository"/>
                  <caches defaultCacheDir="%s"/>
                  <resolvers><ibiblio name="local-maven-repository" m2compatible="true" root="%s"/></resolvers>
                </ivysettings>
                """.formatted(dir.resolve("ivy-cache"), repo.toUri()));

        Path out = dir.resolve("packages-samples");
        Path log = dir.resolve("packages.log");
        String coordinates = group + ":" + artifact + ":" + version;
        LocalCluster.await(cluster.sparkSubmit(log, "--packages", coordinates,
                "--conf", "spark.jars.ivySettings=" + ivySettings, "--conf", "spark.jars.ivy=" + dir.resolve("ivy"),
                "--properties-file", ROOT.resolve("conf/spark-defaults.conf").toString(),
                "--driver-memory", "1g", "--executor-memory", "768m", "--class", Main.class.getName(), "spark-internal",
                "sample", "--model", reference.resolve("model").toString(), "--num", "4", "--num-steps", "2",
                "--out", out.toString()), log);
        String output = Files.readString(log);
        assertTrue(output.contains("found " + group + "#" + artifact + ";" + version + " in local-maven-repository"),
                "not resolved from the repository:\n" + output);
        assertEquals(List.of("grid.png", "sample-00000000.png", "sample-00000001.png", "sample-00000002.png",
                "sample-00000003.png"), visible(out));
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
        return executorDirs("worker-" + worker, app);
    }

    /** The executors worker {@code worker} started for {@code app}: the directories of its work dir. */
    private static List<String> executorDirs(String worker, String app) throws IOException {
        Path appDir = ROOT.resolve("target/test-cluster/work/" + worker + "/" + app);
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(appDir)) {
            files.filter(Files::isDirectory).forEach(f -> out.add(f.getFileName().toString()));
        }
        return out;
    }
}
