package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.optim.Ema;
import io.sparkdiffusion.nn.optim.GradClipping;
import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.train.Batch;
import io.sparkdiffusion.train.DiffusionObjective;
import io.sparkdiffusion.train.RoundRecord;
import io.sparkdiffusion.train.Seeds;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.TrainingConfig;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code syncMode gradients} (issue 15): every step the partitions' gradients are averaged and the driver steps.
 * Checked against an independent loop that trains one process on the whole global batch (no Spark, no grouping
 * code, no reduction): bit for bit on one partition, and within float-summation tolerance on 2 and 3 partitions,
 * whatever order the rows come in; the groups do not depend on the partitioning; too few images for the groups, and
 * a checkpoint resume, behave.
 */
class SyncModeTrainingTest extends SparkTestBase {
    private static final int SIZE = 8;
    private static final int DIM = SIZE * SIZE;
    private static final int GROUPS = 6;
    private static final int STEPS = 4;
    /**
     * Per-round losses of different partitionings: the same images and noise, batch GEMMs summing in another
     * grouping, so float rounding only.
     */
    private static final double LOSS_REL_TOL = 1e-5;
    /**
     * Weights of different partitionings after {@link #STEPS} Adam steps at rate 2e-3: Adam divides by the gradient's
     * own size, so an entry whose gradient is at the rounding level can move by up to the rate per step either
     * way; every other entry agrees to rounding.
     */
    private static final float WEIGHT_TOL = 4 * 2e-3f;

    private static DiffusionTrainer trainer() {
        return DiffusionTrainerTest.tinyTrainer().setNumClasses(3).setLabelCol("label").setLabelDropout(0.3)
                .setSyncMode("gradients").setLocalSteps(1).setGlobalBatchSize(GROUPS).setNumRounds(STEPS)
                .setGradClip(0.05);
    }

    /** One image and its label, as the trainer reads them. */
    private record Example(float[] image, int label, long hash) {
    }

    /** What the independent loop gives: weights, EMA and the loss of each step. */
    private record Reference(float[] params, float[] ema, double[] losses) {
    }

    /**
     * One process on the whole global batch: the images grouped by {@code contentHash mod GROUPS} (sorted by hash
     * within a group), each group's image and draws from {@link Seeds#groupStep}, the batch in group order, the
     * gradient clipped, one optimizer step at the warm-up's rate, the EMA after each step.
     */
    private static Reference reference(DiffusionTrainer t, Dataset<Row> df) {
        TreeMap<Integer, List<Example>> groups = new TreeMap<>();
        for (Row r : df.collectAsList()) {
            List<Float> pixels = r.getList(0);
            float[] image = new float[pixels.size()];
            for (int i = 0; i < image.length; i++) {
                image[i] = pixels.get(i);
            }
            int label = r.getInt(1);
            long hash = DistributedTraining.contentHash(image, label);
            groups.computeIfAbsent((int) Long.remainderUnsigned(hash, GROUPS), g -> new ArrayList<>())
                    .add(new Example(image, label, hash));
        }
        assertEquals(GROUPS, groups.size(), "the test data should fill every group");
        groups.values().forEach(l -> l.sort(Comparator.comparingLong(Example::hash)));
        DiffusionObjective objective = t.objective();
        TrainingConfig c = t.trainingConfig();
        float[] params = new float[objective.numParameters()];
        objective.initialize(params, Seeds.init(c.seed()));
        float[] ema = params.clone();
        float[] state = new float[c.optimizer().stateSize(params.length)];
        double[] losses = new double[STEPS];
        for (int k = 0; k < STEPS; k++) {
            float[] x = new float[GROUPS * DIM];
            int[] y = new int[GROUPS];
            SplittableRandom[] randoms = new SplittableRandom[GROUPS];
            for (int g = 0; g < GROUPS; g++) {
                randoms[g] = new SplittableRandom(Seeds.groupStep(c.seed(), k, g));
                List<Example> members = groups.get(g);
                Example e = members.get(randoms[g].nextInt(members.size()));
                System.arraycopy(e.image(), 0, x, g * DIM, DIM);
                y[g] = e.label();
            }
            float[] grads = new float[params.length];
            losses[k] = objective.lossAndGradient(params, grads, new Batch(x, y, DIM), randoms);
            GradClipping.clipGradNormInPlace(grads, c.gradClip());
            Optimizer.Stepper adam = c.optimizer().resume(state, k, params.length, c.learningRate());
            adam.stepInPlace(params, grads, c.learningRateAt(k + 1));
            state = adam.state();
            Ema.updateInPlace(ema, params, GROUPS, (long) (k + 1) * GROUPS, c.emaHalfLifeImages(), c.emaRampupRatio());
        }
        return new Reference(params, ema, losses);
    }

    private static double[] fitLosses(DiffusionTrainer t, Dataset<Row> df, List<DiffusionModel> model) {
        List<Double> losses = new ArrayList<>();
        t.setRoundListener((RoundRecord r, int planned) -> losses.add(r.loss()));
        model.add(t.fit(df));
        return losses.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void onePartitionIsOneProcessOnTheWholeGlobalBatchBitForBit() {
        Dataset<Row> df = TinyData.frame(40, SIZE, 3, 1, 1);
        DiffusionTrainer t = trainer();
        List<DiffusionModel> models = new ArrayList<>();
        double[] losses = fitLosses(t, df, models);
        Reference ref = reference(t, df);
        assertArrayEquals(ref.losses(), losses, 1e-12); // a loss sum of 6 rows divided by 6 again
        assertArrayEquals(ref.params(), models.get(0).weights());
        assertArrayEquals(ref.ema(), models.get(0).emaWeights());
    }

    /** With the network's dropout too (probability 0.3): each row draws its own masks from its group's stream. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(doubles = {0, 0.3})
    void twoAndThreePartitionsInAnyRowOrderTrainTheSameModel(double dropout) {
        Dataset<Row> df = TinyData.frame(40, SIZE, 3, 1, 1);
        Reference ref = reference(trainer().setDropout(dropout), df);
        for (int partitions : new int[] {2, 3}) {
            // A different row order and partitioning each time: the groups and draws must not care.
            Dataset<Row> shuffled = df.orderBy(org.apache.spark.sql.functions.rand(partitions)).repartition(partitions);
            List<DiffusionModel> models = new ArrayList<>();
            double[] losses = fitLosses(trainer().setDropout(dropout), shuffled, models);
            for (int k = 0; k < STEPS; k++) {
                assertEquals(ref.losses()[k], losses[k], LOSS_REL_TOL * Math.abs(ref.losses()[k]),
                        "loss of step " + k + " on " + partitions + " partitions");
            }
            assertArrayEquals(ref.params(), models.get(0).weights(), WEIGHT_TOL, partitions + " partitions");
            long far = countFar(ref.params(), models.get(0).weights(), 1e-5f);
            assertTrue(far <= ref.params().length / 100, far + " of " + ref.params().length
                    + " weights differ by more than 1e-5 on " + partitions + " partitions");
        }
    }

    /**
     * {@code outerInterval} 2 in this mode: the driver's optimizer takes DiLoCo's step every second step (the
     * independent loop steps through the same {@code Optimizer.Lookahead}, checked by hand in {@code LookaheadTest}):
     * bit for bit on one partition, the same model on two, and another model than without it.
     */
    @Test
    void anOuterIntervalStaysOnTheDriverAndOutOfThePartitionCount() {
        Dataset<Row> df = TinyData.frame(40, SIZE, 3, 1, 1);
        Reference ref = reference(trainer().setOuterOptimizer("nesterov").setOuterInterval(2), df);
        Reference without = reference(trainer(), df);
        assertTrue(countFar(ref.params(), without.params(), 1e-4f) > ref.params().length / 10,
                "the outer steps change the model");
        List<DiffusionModel> one = new ArrayList<>();
        fitLosses(trainer().setOuterOptimizer("nesterov").setOuterInterval(2), df, one);
        assertArrayEquals(ref.params(), one.get(0).weights());
        assertArrayEquals(ref.ema(), one.get(0).emaWeights());
        List<DiffusionModel> two = new ArrayList<>();
        fitLosses(trainer().setOuterOptimizer("nesterov").setOuterInterval(2), df.repartition(2), two);
        assertArrayEquals(ref.params(), two.get(0).weights(), WEIGHT_TOL);
        long far = countFar(ref.params(), two.get(0).weights(), 1e-5f);
        assertTrue(far <= ref.params().length / 100, far + " of " + ref.params().length
                + " weights differ by more than 1e-5 on 2 partitions");
    }

    private static long countFar(float[] a, float[] b, float tol) {
        long n = 0;
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > tol) {
                n++;
            }
        }
        return n;
    }

    /** The sliced reduction averages gradients as the tree does: the same model, bit for bit. */
    @Test
    void theSlicedReductionTrainsTheTreesModel() {
        Dataset<Row> df = TinyData.frame(40, SIZE, 3, 3, 1);
        DiffusionModel tree = trainer().setReduction("tree").fit(df);
        DiffusionModel sliced = trainer().setReduction("sliced").fit(df);
        assertArrayEquals(tree.weights(), sliced.weights());
        assertArrayEquals(tree.emaWeights(), sliced.emaWeights());
    }

    @Test
    void theGroupsDoNotDependOnThePartitioning() {
        Dataset<Row> df = TinyData.frame(30, SIZE, 3, 1, 2);
        TreeMap<Integer, List<float[]>> one = groupsOf(df, 1);
        TreeMap<Integer, List<float[]>> four = groupsOf(df.orderBy(org.apache.spark.sql.functions.rand(3))
                .repartition(4), 4);
        assertEquals(one.keySet(), four.keySet());
        int images = 0;
        for (int g : one.keySet()) {
            assertEquals(one.get(g).size(), four.get(g).size(), "group " + g);
            for (int i = 0; i < one.get(g).size(); i++) {
                assertArrayEquals(one.get(g).get(i), four.get(g).get(i), "group " + g + ", image " + i);
            }
            images += one.get(g).size();
        }
        assertEquals(30, images);
    }

    /** Each group's images, in order, and a check that group g sits on partition g mod partitions. */
    private static TreeMap<Integer, List<float[]>> groupsOf(Dataset<Row> df, int partitions) {
        var rdd = DistributedTraining.groupedShards(df, "tensor", "label", DIM, 3, 5);
        try {
            List<Shard> shards = rdd.collect();
            assertEquals(partitions, shards.size());
            TreeMap<Integer, List<float[]>> out = new TreeMap<>();
            for (int p = 0; p < shards.size(); p++) {
                Shard s = shards.get(p);
                for (int g = 0; g < s.groupIds().length; g++) {
                    assertEquals(p, s.groupIds()[g] % partitions, "group " + s.groupIds()[g] + " on partition " + p);
                    List<float[]> images = new ArrayList<>();
                    for (int i = s.groupStarts()[g]; i < s.groupStarts()[g + 1]; i++) {
                        images.add(Arrays.copyOfRange(s.images(), i * DIM, (i + 1) * DIM));
                    }
                    out.put(s.groupIds()[g], images);
                }
            }
            return out;
        } finally {
            rdd.unpersist(false);
        }
    }

    @Test
    void tooFewImagesForTheGroupsAreRefusedByName() {
        Dataset<Row> df = TinyData.frame(5, SIZE, 3, 1, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> trainer().setGlobalBatchSize(64).fit(df));
        assertTrue(e.getMessage().contains("globalBatchSize = 64 groups") && e.getMessage().contains("got no image")
                && e.getMessage().contains("set a smaller globalBatchSize"), e.getMessage());
    }

    @Test
    void aResumedRunEqualsTheStraightOneBitForBit(@TempDir Path dir) {
        Dataset<Row> df = TinyData.frame(40, SIZE, 3, 2, 1);
        DiffusionModel straight = trainer().fit(df);
        String ckpt = dir.resolve("ckpt").toString();
        trainer().setNumRounds(2).setCheckpointDir(ckpt).setCheckpointInterval(1).fit(df);
        DiffusionModel resumed = trainer().setCheckpointDir(ckpt).setCheckpointInterval(1).fit(df);
        assertArrayEquals(straight.weights(), resumed.weights());
        assertArrayEquals(straight.emaWeights(), resumed.emaWeights());
    }

    /**
     * The groups, not the partitions, decide a grouped run's batches: its checkpoint resumes on another partition
     * count and continues the same training (the independent loop's losses and weights, to float rounding), while
     * other data is still refused by name.
     */
    @Test
    void aCheckpointResumesOnAnotherPartitionCount(@TempDir Path dir) {
        Dataset<Row> df = TinyData.frame(40, SIZE, 3, 2, 1);
        Reference ref = reference(trainer(), df);
        String ckpt = dir.resolve("ckpt").toString();
        trainer().setNumRounds(2).setCheckpointDir(ckpt).setCheckpointInterval(1).fit(df);
        Dataset<Row> three = df.orderBy(org.apache.spark.sql.functions.rand(5)).repartition(3);
        List<DiffusionModel> models = new ArrayList<>();
        double[] losses = fitLosses(trainer().setCheckpointDir(ckpt).setCheckpointInterval(1), three, models);
        assertEquals(STEPS - 2, losses.length, "the resumed run trains the rounds after the checkpoint only");
        for (int k = 2; k < STEPS; k++) {
            assertEquals(ref.losses()[k], losses[k - 2], LOSS_REL_TOL * Math.abs(ref.losses()[k]),
                    "loss of step " + k + " resumed on 3 partitions");
        }
        assertArrayEquals(ref.params(), models.get(0).weights(), WEIGHT_TOL);
        long far = countFar(ref.params(), models.get(0).weights(), 1e-5f);
        assertTrue(far <= ref.params().length / 100, far + " of " + ref.params().length
                + " weights differ by more than 1e-5 after the resume on 3 partitions");

        Dataset<Row> other = TinyData.frame(40, SIZE, 3, 3, 2);
        var e = assertThrows(IllegalArgumentException.class,
                () -> trainer().setNumRounds(STEPS + 1).setCheckpointDir(ckpt).fit(other));
        assertTrue(e.getMessage().contains("training data: 40 rows") && !e.getMessage().contains("partition count"),
                e.getMessage());
    }
}
