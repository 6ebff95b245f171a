package io.sparkdiffusion.cli;

import io.sparkdiffusion.nn.unet.UNetConfig;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundled configs load against the real stages, and bad configs fail before any SparkSession exists. */
class ConfFilesTest {
    @TempDir
    Path dir;

    @Test
    void everyBundledConfigIsValid() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("conf"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                if (file.getFileName().toString().startsWith("features-")) {
                    checkFeaturesConfig(file);
                    continue;
                }
                TrainStages stages = TrainStages.fresh();
                TrainSettings settings = TrainCommand.load(file.toString(), Map.of(), TrainCommand.schema(stages));
                TrainCommand.checkSettings(stages);
                if (!USER_DATA.contains(file.getFileName().toString())) {
                    assertTrue(Files.isDirectory(Path.of(settings.data())), file + ": data " + settings.data());
                }
            }
        }
    }

    /** Configs whose data the user supplies (the path is a placeholder to replace), not bundled with the repository. */
    private static final java.util.Set<String> USER_DATA = java.util.Set.of("cifar-folder.json");

    /** unet-ddpm-cifar (Ho et al. 2020's CIFAR-10 shape) on a folder of RGB 32x32 images, unconditional. */
    @Test
    void cifarFolderTrainsUNetDdpmCifarOnAnRgbFolder() {
        TrainStages stages = TrainStages.fresh();
        TrainSettings settings = TrainCommand.load("conf/cifar-folder.json", Map.of(), TrainCommand.schema(stages));
        assertEquals(DataFormat.IMAGES, settings.dataFormat());
        assertEquals(0, stages.trainer().getNumClasses());
        UNetConfig spec = stages.trainer().networkConfig();
        assertEquals(3, spec.imgChannels());
        assertEquals(32, spec.imgResolution());
        assertEquals(128, spec.modelChannels());
        assertArrayEquals(new int[]{1, 2, 2, 2}, spec.channelMult());
        assertEquals(2, spec.numResBlocks());
        assertArrayEquals(new int[]{16}, spec.attnResolutions());
        assertEquals(0.1f, spec.dropout());
    }

    /** A feature-network config (./submit.sh features) binds against its own stages and names existing data. */
    private static void checkFeaturesConfig(Path file) {
        var estimator = new io.sparkdiffusion.spark.FeatureNetwork();
        Map<String, Object> values = FeaturesCommand.schema(estimator, new io.sparkdiffusion.spark.ImageTensorizer())
                .bind(ConfigFile.read(file.toString()), file.toString(), Map.of());
        estimator.featureCnnConfig();
        estimator.trainingConfig();
        assertTrue(Files.isDirectory(Path.of((String) values.get("data"))), file + ": data " + values.get("data"));
    }

    @Test
    void evaluationWithoutAFeatureNetworkFailsBeforeSpark() throws IOException {
        TrainStages stages = TrainStages.fresh();
        TrainCommand.load("conf/quick.json", Map.of("evalInterval", "2"), TrainCommand.schema(stages));
        var e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> TrainCommand.checkSettings(stages));
        assertTrue(e.getMessage().contains("evalInterval is 2 but there is no feature network")
                && e.getMessage().contains("featureModelPath"), e.getMessage());

        TrainStages small = TrainStages.fresh();
        e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class, () -> TrainCommand.load(
                "conf/quick.json", Map.of("evalSamples", "2"), TrainCommand.schema(small)));
        assertTrue(e.getMessage().contains("evalSamples = 2 is not valid"), e.getMessage());

        // A path that holds no saved FeatureNetworkModel is named before Spark starts.
        TrainStages wrong = TrainStages.fresh();
        Path notFeatures = Files.createDirectories(dir.resolve("m/metadata"));
        Files.writeString(notFeatures.resolve("part-00000"), "{\"class\":\"io.sparkdiffusion.spark.DiffusionModel\"}\n");
        TrainCommand.load("conf/quick-eval.json", Map.of("featureModelPath", dir.resolve("m").toString()),
                TrainCommand.schema(wrong));
        TrainCommand.checkSettings(wrong);
        e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class, () -> TrainCommand.checkFeatureModel(
                wrong.trainer(), new org.apache.hadoop.conf.Configuration()));
        assertTrue(e.getMessage().contains("is a io.sparkdiffusion.spark.DiffusionModel, not a "
                + "io.sparkdiffusion.spark.FeatureNetworkModel"), e.getMessage());
        TrainStages missing = TrainStages.fresh();
        TrainCommand.load("conf/quick-eval.json", Map.of("featureModelPath", dir.resolve("none").toString()),
                TrainCommand.schema(missing));
        e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class, () -> TrainCommand.checkFeatureModel(
                missing.trainer(), new org.apache.hadoop.conf.Configuration()));
        assertTrue(e.getMessage().startsWith("featureModelPath: model ") && e.getMessage().contains("no metadata/"),
                e.getMessage());
    }

    @Test
    void fashionMnistIsTheClassConditionalFlowUNetSmallOnAllTenThousandImages() {
        TrainStages stages = TrainStages.fresh();
        TrainSettings settings = TrainCommand.load("conf/fashion-mnist.json", Map.of(), TrainCommand.schema(stages));
        assertEquals(0, settings.maxImages());
        assertEquals(DataFormat.IDX, settings.dataFormat());
        // flow: FID 42.9 against edm's 90.3 at the same 64,000 images; rounds of 5 steps at rate 0.002: 29.4
        // (docs/main-config-runs.md).
        assertEquals("flow", stages.trainer().getParameterization());
        assertEquals(5, stages.trainer().getLocalSteps());
        assertEquals(0.002, stages.trainer().getLearningRate());
        assertEquals(10, stages.trainer().getNumClasses());
        // unet-small as in shared/reference/unet-small.md: 32 channels, [1, 2, 2], 2 blocks, attention at 7.
        UNetConfig spec = stages.trainer().networkConfig();
        assertEquals(32, spec.modelChannels());
        assertArrayEquals(new int[]{1, 2, 2}, spec.channelMult());
        assertEquals(2, spec.numResBlocks());
        assertArrayEquals(new int[]{7}, spec.attnResolutions());
    }

    /**
     * conf/fashion-mnist.json checkpoints to runs/fashion-mnist/checkpoints; run with --output runs/other it
     * checkpoints to runs/other/checkpoints (a second run of the config must not resume from the first's); an
     * explicit --checkpoint-dir wins.
     */
    @Test
    void theCheckpointDirInsideTheOutputMovesWithOutput() {
        TrainStages stages = TrainStages.fresh();
        TrainCommand.load("conf/fashion-mnist.json", Map.of(), TrainCommand.schema(stages));
        assertEquals("runs/fashion-mnist/checkpoints", stages.trainer().getCheckpointDir());
        stages = TrainStages.fresh();
        TrainCommand.load("conf/fashion-mnist.json", Map.of("output", "runs/other/"), TrainCommand.schema(stages));
        assertEquals("runs/other/checkpoints", stages.trainer().getCheckpointDir());
        stages = TrainStages.fresh();
        TrainCommand.load("conf/fashion-mnist.json", Map.of("output", "runs/other", "checkpointDir", "/tmp/ck"),
                TrainCommand.schema(stages));
        assertEquals("/tmp/ck", stages.trainer().getCheckpointDir());
    }

    @Test
    void samplingKeysOfATrainConfigReachTheModel() {
        TrainStages stages = TrainStages.fresh();
        TrainCommand.load("conf/quick.json", Map.of("numSteps", "7", "sampler", "euler"), TrainCommand.schema(stages));
        var model = new io.sparkdiffusion.spark.DiffusionModel("m");
        stages.applySampling(model);
        assertEquals(7, model.getNumSteps());
        assertEquals("euler", model.getSampler());
    }

    @Test
    void theColumnsAreNotConfigKeys() {
        String message = error("{\"data\": \"data/fashion-mnist\", \"output\": \"" + dir + "\", \"inputCol\": \"x\"}");
        assertTrue(message.contains("unknown key \"inputCol\""), message);
    }

    @Test
    void sampleRejectsNetworkSettings() {
        Result r = run("sample", "--model", "m", "--num", "2", "--out", "o", "--image-size", "32");
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("error: command line (--image-size): unknown key \"imageSize\""), r.err);
    }

    @Test
    void aBadConfigFailsBeforeSparkStarts() throws IOException {
        // Other test classes in this JVM may share a session already: what matters is that these runs start none.
        var sessionBefore = SparkSession.getDefaultSession();
        String message = error("{\"data\": \"data/fashion-mnist\", \"output\": \"" + dir + "\", \"numRounds\": \"5\"}");
        assertEquals("error: " + dir.resolve("c.json") + ": numRounds must be an integer, got \"5\" (a string)\n",
                message);
        message = error("{\"data\": \"data/fashion-mnist\", \"output\": \"" + dir + "\", \"numSteps\": -1}");
        assertTrue(message.contains("numSteps = -1 is not valid"), message);
        message = error("{\"data\": \"no/such/dir\", \"output\": \"" + dir + "\"}");
        assertTrue(message.startsWith("error: data no/such/dir does not exist"), message);
        message = error("{\"data\": \"data/fashion-mnist\", \"output\": \"" + dir + "\", \"imageSize\": 30}");
        assertTrue(message.contains("imageSize 30 must be divisible by 2^(levels - 1) = 4"), message);
        assertEquals(sessionBefore, SparkSession.getDefaultSession(), "no SparkSession was started");
    }

    private String error(String json) {
        Path config = dir.resolve("c.json");
        try {
            Files.writeString(config, json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Result r = run("train", config.toString());
        assertEquals(2, r.code, r.err);
        return r.err;
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
