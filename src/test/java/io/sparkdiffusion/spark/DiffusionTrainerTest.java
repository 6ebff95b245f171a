package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.Batch;
import io.sparkdiffusion.train.DiffusionObjective;
import io.sparkdiffusion.train.LocalTrainer;
import io.sparkdiffusion.train.LocalTrainingLoop;
import io.sparkdiffusion.train.PartitionResult;
import io.sparkdiffusion.train.RoundRecord;
import io.sparkdiffusion.train.Seeds;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.TrainingConfig;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks 1-3 for the trainer and its model, with a tiny U-Net on 8 x 8 images. */
class DiffusionTrainerTest extends SparkTestBase {
    private static final int SIZE = 8;
    private static final int DIM = SIZE * SIZE;
    /** Test-side weighted means in double vs the trainer's compensated sums, both rounded to float. */
    private static final float MEAN_TOL = 1e-6f;
    /** Averaged SGD updates vs one SGD step on averaged gradients: float rounding of w - lr g. */
    private static final float SGD_TOL = 1e-6f;

    static DiffusionTrainer tinyTrainer() {
        return new DiffusionTrainer().setImageChannels(1).setImageSize(SIZE).setModelChannels(4)
                .setChannelMult(new int[] {1, 2}).setNumResBlocks(1).setBatchSize(4).setLocalSteps(3).setNumRounds(2)
                .setLearningRate(2e-3).setWarmupSteps(2).setEmaHalfLifeImages(20).setSeed(17);
    }

    /** learningRateDecay cosine spans the planned steps: 2 rounds of 3 steps are a 6-step cosine in the local loop. */
    @Test
    void aCosineDecaySpansThePlannedStepsOfTheFit() {
        DiffusionTrainer trainer = tinyTrainer().setLearningRateDecay("cosine");
        Dataset<Row> df = TinyData.frame(10, SIZE, 1, 1, 3);
        DiffusionModel model = trainer.fit(df);
        Shard data = TinyData.shards(df, DIM, false).get(0);
        var cosine = LocalTrainingLoop.run(trainer.objective(), trainer.trainingConfig().withCosineSteps(6), data, 6);
        assertArrayEquals(cosine.params(), model.weights());
        assertArrayEquals(cosine.ema(), model.emaWeights());
        var constant = LocalTrainingLoop.run(trainer.objective(), trainer.trainingConfig(), data, 6);
        assertTrue(!java.util.Arrays.equals(constant.params(), model.weights()), "the decay should change the weights");
    }

    @Test
    void onePartitionEqualsThePlainLocalLoopBitForBit() {
        DiffusionTrainer trainer = tinyTrainer().setNumClasses(3).setLabelCol("label").setLabelDropout(0.3);
        Dataset<Row> df = TinyData.frame(10, SIZE, 3, 1, 1);
        List<Integer> rounds = new ArrayList<>();
        trainer.setRoundListener((RoundRecord r, int planned) -> rounds.add(r.round()));
        DiffusionModel model = trainer.fit(df);
        Shard data = TinyData.shards(df, DIM, true).get(0);
        var plain = LocalTrainingLoop.run(trainer.objective(), trainer.trainingConfig(), data, 6);
        assertArrayEquals(plain.params(), model.weights());
        assertArrayEquals(plain.ema(), model.emaWeights());
        assertEquals(List.of(0, 1), rounds);
        assertEquals(2, model.summary().rounds().size());
        assertEquals(24, model.summary().totalImages());
    }

    /** numImages overrides numRounds: 30 images at 12 per round (3 steps of 4) take ceil(30 / 12) = 3 rounds. */
    @Test
    void numImagesSetsTheNumberOfRounds() {
        DiffusionModel model = tinyTrainer().setNumRounds(7).setNumImages(30).fit(TinyData.frame(10, SIZE, 1, 1, 8));
        assertEquals(3, model.summary().rounds().size());
        assertEquals(36, model.summary().totalImages());
    }

    /** Four partitions of 5, 6, 2 and 7 images on local[2]: one round against four local runs recomputed here. */
    @Test
    void oneRoundIsTheImageWeightedMeanOfFourLocalRuns() {
        DiffusionTrainer trainer = tinyTrainer().setNumRounds(1);
        DiffusionModel model = trainer.fit(unevenFrame());
        assertRoundIsMeanOfLocalRuns(trainer, model, new int[] {4, 4, 4, 4});
    }

    /**
     * Checks a one-round model against the image-weighted mean of four local runs of 3 steps from the seeded
     * initial weights on {@link #unevenFrame()}'s partitions, partition p stepping on batches[p] images.
     */
    private static void assertRoundIsMeanOfLocalRuns(DiffusionTrainer trainer, DiffusionModel model, int[] batches) {
        List<Shard> shards = TinyData.shards(unevenFrame(), DIM, false);
        DiffusionObjective obj = trainer.objective();
        float[] w0 = new float[obj.numParameters()];
        obj.initialize(w0, Seeds.init(trainer.getSeed()));
        double[] sum = new double[w0.length];
        long images = 0;
        for (int p = 0; p < 4; p++) {
            TrainingConfig own = tinyTrainer().setBatchSize(batches[p]).trainingConfig();
            PartitionResult r = LocalTrainer.run(obj, own, shards.get(p), p, w0, new float[2 * w0.length], 0, 3);
            long n = 3L * Math.min(batches[p], shards.get(p).size());
            for (int i = 0; i < w0.length; i++) {
                sum[i] += n * (double) r.params()[i];
            }
            images += n;
        }
        float[] expected = new float[w0.length];
        for (int i = 0; i < w0.length; i++) {
            expected[i] = (float) (sum[i] / images);
        }
        assertArrayEquals(expected, model.weights(), MEAN_TOL);
        assertEquals(images, model.summary().totalImages());
    }

    /** globalBatchSize 8 over the four partitions is a batch of 2 on each: the same weights as batchSize 2. */
    @Test
    void globalBatchSizeIsSplitOverThePartitions() {
        Dataset<Row> df = unevenFrame();
        DiffusionModel global = tinyTrainer().setBatchSize(5).setGlobalBatchSize(8).fit(df);
        DiffusionModel perPartition = tinyTrainer().setBatchSize(2).fit(df);
        assertArrayEquals(perPartition.weights(), global.weights());
        assertEquals(2L * 3 * 2 * 4, global.summary().totalImages());
    }

    /**
     * globalBatchSize 9 over the four partitions (5, 6, 2 and 7 images) is 3, 2, 2, 2: the round is the
     * image-weighted mean of four local runs with those batches, recomputed here.
     */
    @Test
    void anUnevenGlobalBatchGivesTheFirstPartitionsOneImageMore() {
        DiffusionTrainer trainer = tinyTrainer().setNumRounds(1).setGlobalBatchSize(9);
        DiffusionModel model = trainer.fit(unevenFrame());
        assertRoundIsMeanOfLocalRuns(trainer, model, new int[] {3, 2, 2, 2});
        assertEquals(3L * 9, model.summary().totalImages());
    }

    @Test
    void aGlobalBatchSmallerThanThePartitionsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tinyTrainer().setGlobalBatchSize(3).fit(unevenFrame()));
        assertTrue(e.getMessage().contains("globalBatchSize 3 is smaller than the 4 partitions"), e.getMessage());
        assertTrue(e.getMessage().contains("at least 4"), e.getMessage());
    }

    /** SGD, one local step, no clipping: the round is w0 - lr sum_p n_p g_p / N, gradients computed here. */
    @Test
    void oneSgdStepIsGradientAveraging() {
        DiffusionTrainer trainer = tinyTrainer().setNumRounds(1).setLocalSteps(1).setOptimizer("sgd").setGradClip(0)
                .setWarmupSteps(0).setBatchSize(8).setLearningRate(0.05);
        Dataset<Row> df = unevenFrame();
        DiffusionModel model = trainer.fit(df);
        List<Shard> shards = TinyData.shards(df, DIM, false);
        DiffusionObjective obj = trainer.objective();
        float[] w0 = new float[obj.numParameters()];
        obj.initialize(w0, Seeds.init(17));
        double[] g = new double[w0.length];
        long images = 0;
        for (int p = 0; p < 4; p++) {
            Shard s = shards.get(p);
            // Every shard is at most one batch, so the batch is the whole shard in order.
            Batch batch = s.select(IntStream.range(0, s.size()).toArray());
            float[] gp = new float[w0.length];
            obj.lossAndGradient(w0, gp, batch, new SplittableRandom(Seeds.step(17, 0, p)));
            for (int i = 0; i < g.length; i++) {
                g[i] += s.size() * (double) gp[i];
            }
            images += s.size();
        }
        float[] expected = new float[w0.length];
        for (int i = 0; i < w0.length; i++) {
            expected[i] = (float) (w0[i] - 0.05 * g[i] / images);
        }
        assertArrayEquals(expected, model.weights(), SGD_TOL);
    }

    /** 20 images in partitions of 5, 6, 2, 7. */
    private static Dataset<Row> unevenFrame() {
        Dataset<Row> df = TinyData.frame(20, SIZE, 1, 4, 2);
        // parallelize slices 20 rows into 5, 5, 5, 5: move rows to make the partitions uneven.
        List<Row> all = df.collectAsList();
        int[] cuts = {0, 5, 11, 13, 20};
        var rdd = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark().sparkContext())
                .parallelize(IntStream.range(0, 4).boxed().toList(), 4)
                .flatMap(p -> all.subList(cuts[p], cuts[p + 1]).iterator());
        Dataset<Row> uneven = spark().createDataFrame(rdd, TinyData.SCHEMA);
        assertEquals(List.of(5, 6, 2, 7), uneven.javaRDD().glom().map(List::size).collect());
        return uneven;
    }

    @Test
    void settingsAreValidatedBeforeTraining() {
        Dataset<Row> df = TinyData.frame(4, SIZE, 2, 1, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> tinyTrainer().setLabelCol("label").fit(df));
        assertTrue(e.getMessage().contains("numClasses is 0"), e.getMessage());
        // The image length is only known from the data: the first task reports it.
        var job = assertThrows(Exception.class, () -> tinyTrainer().setImageSize(16).fit(df));
        assertTrue(ImageTensorizerTest.rootMessage(job).contains("expected 256"), ImageTensorizerTest.rootMessage(job));
        e = assertThrows(IllegalArgumentException.class, () -> tinyTrainer().setModelChannels(6).fit(df));
        assertTrue(e.getMessage().contains("modelChannels"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tinyTrainer().setOptimizer("rmsprop"));
        assertThrows(IllegalArgumentException.class, () -> tinyTrainer().setLabelScale(0));
        assertThrows(IllegalArgumentException.class, () -> tinyTrainer().setLabelScale(Double.POSITIVE_INFINITY));
    }

    @Test
    void standardChecksForTrainerAndModel(@TempDir Path dir) throws IOException {
        DiffusionTrainer trainer = tinyTrainer().setNumRounds(1).setNumClasses(2).setLabelCol("label")
                .setParameterization("vp").setCheckpointDir(dir.resolve("ckpt").toString()).setCheckpointInterval(1)
                .setLabelScale(Math.sqrt(2));
        StageChecks.checkParams(trainer, Set.of());
        StageChecks.checkCopyAndUid(trainer, trainer.batchSize(), 9);
        StageChecks.saveAndLoad(trainer, dir.resolve("trainer").toString(), DiffusionTrainer::load);

        DiffusionModel model = trainer.fit(TinyData.frame(6, SIZE, 2, 2, 4)).setNumSteps(3).setImageCol("img");
        assertTrue(Files.exists(dir.resolve("ckpt").resolve("LATEST")), "checkpoint written");
        // A trained model's network Params (HasNetworkParams) have no setters, except labelCol.
        StageChecks.checkParams(model, java.util.Arrays.stream(model.params()).filter(model::isNetworkParam)
                .map(p -> p.name()).filter(n -> !n.equals("labelCol")).collect(java.util.stream.Collectors.toSet()));
        StageChecks.checkCopyAndUid(model, model.guidanceWeight(), 2.0);
        DiffusionModel loaded = StageChecks.saveAndLoad(model, dir.resolve("model").toString(), DiffusionModel::load);
        assertArrayEquals(model.weights(), loaded.weights());
        assertArrayEquals(model.emaWeights(), loaded.emaWeights());
        assertEquals(model.networkConfig(), loaded.networkConfig());
        assertEquals((float) Math.sqrt(2), loaded.networkConfig().labelScale());
        assertFalse(loaded.hasSummary());
        assertEquals(trainer.uid(), model.uid());
    }

    @Test
    void alteredOrNewerModelFilesAreRefused(@TempDir Path dir) throws IOException {
        DiffusionModel model = tinyTrainer().setNumRounds(1).fit(TinyData.frame(4, SIZE, 1, 1, 5));
        String path = dir.resolve("m").toString();
        model.write().save(path);
        Path chunk = dir.resolve("m/data/ema-00000.bin");
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[100] ^= 4;
        Files.write(chunk, bytes);
        // Hadoop's local file system keeps .crc side files that would catch this first; a copy made by other tools
        // has none, and then the format's own SHA-256 must.
        Files.deleteIfExists(dir.resolve("m/data/.ema-00000.bin.crc"));
        var e = assertThrows(RuntimeException.class, () -> DiffusionModel.load(path));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        Files.write(chunk, java.util.Arrays.copyOf(bytes, 64));
        e = assertThrows(RuntimeException.class, () -> DiffusionModel.load(path));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Path props = dir.resolve("m/data/network.properties");
        Files.writeString(props, Files.readString(props).replace("formatVersion=1", "formatVersion=7"));
        Files.deleteIfExists(dir.resolve("m/data/.network.properties.crc"));
        e = assertThrows(RuntimeException.class, () -> DiffusionModel.load(path));
        assertTrue(e.getMessage().contains("newer format version 7"), e.getMessage());
    }
}
