package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.train.LocalTrainer;
import io.sparkdiffusion.train.LocalTrainingLoop;
import io.sparkdiffusion.train.Objective;
import io.sparkdiffusion.train.OuterOptimizer;
import io.sparkdiffusion.train.PartitionResult;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.ToyData;
import io.sparkdiffusion.train.ToyDenoisingObjective;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingDivergedException;
import io.sparkdiffusion.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outer optimizer in the Spark trainer (issue 15, item 1): {@code average} is today's training bit for bit;
 * {@code nesterov} applies the outer step, recomputed here, to the image-weighted mean of the partitions; a
 * retried task and a resume from a checkpoint change nothing, and a checkpoint without outer momentum resumes
 * from zero momentum.
 */
class OuterOptimizerTrainingTest extends SparkTestBase {
    private static final int D = 12;
    private static final int SIZE = 8;
    private static final int DIM = SIZE * SIZE;
    /** Test-side weighted means in double vs the trainer's compensated sums, both rounded to float. */
    private static final float MEAN_TOL = 1e-6f;
    /** The outer step multiplies a mean's rounding by lr (1 + mu) = 1.33 at DiLoCo's settings, plus its own rounding. */
    private static final float OUTER_TOL = 2e-6f;

    private static final OuterOptimizer DILOCO = new OuterOptimizer.Nesterov(OuterOptimizer.DILOCO_LEARNING_RATE,
            OuterOptimizer.DILOCO_MOMENTUM);

    private static TrainingConfig config(OuterOptimizer outer) {
        return new TrainingConfig(4, 2, 0.05, 2, 1.0, new Optimizer.Adam(0.9, 0.99, 1e-8), 30, 0.5, true, 1234, outer);
    }

    static JavaRDD<Shard> rddOf(List<Shard> parts) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark().sparkContext());
        return jsc.parallelize(parts, parts.size()).cache();
    }

    static List<Shard> twoParts() {
        return List.of(ToyData.shard(6, D, 0, 1), ToyData.shard(5, D, 0, 2));
    }

    /**
     * One partition, {@code outerOptimizer=average} (with outer settings that average ignores): the plain local
     * loop's weights and a fit without the Param, bit for bit.
     */
    @Test
    void averageWithOnePartitionIsTodaysTrainingBitForBit() {
        Dataset<Row> df = TinyData.frame(10, SIZE, 1, 1, 1);
        DiffusionTrainer set = DiffusionTrainerTest.tinyTrainer().setOuterOptimizer("average").setOuterLearningRate(0.3)
                .setOuterMomentum(0.5);
        DiffusionModel withParam = set.fit(df);
        DiffusionModel without = DiffusionTrainerTest.tinyTrainer().fit(df);
        var plain = LocalTrainingLoop.run(set.objective(), set.trainingConfig(), TinyData.shards(df, DIM, false).get(0),
                6);
        assertArrayEquals(plain.params(), withParam.weights());
        assertArrayEquals(plain.ema(), withParam.emaWeights());
        assertArrayEquals(without.weights(), withParam.weights());
        assertArrayEquals(without.emaWeights(), withParam.emaWeights());
    }

    /**
     * Two rounds on two partitions: each round's weights are the Nesterov step (written out here, in double) from
     * the image-weighted mean of two local runs recomputed here, the momentum is carried, and the EMA follows the
     * outer weights: {@code ema = beta ema + (1 - beta) w} with {@code beta = 0.5^(images / min(30, 0.5 seen))}.
     */
    @Test
    void nesterovRoundsStepFromTheMeanOfTheLocalRuns() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(DILOCO);
        List<Shard> parts = twoParts();
        TrainingState state = TrainingState.initial(obj, c);
        float[] before = state.params().clone();
        float[] v = new float[before.length];
        float[] ema = before.clone();
        long seen = 0;
        for (int round = 0; round < 2; round++) {
            LocalMean local = LocalMean.of(obj, c, parts, before, state.sharedState().clone(), state.step(), 2);
            DistributedTraining.run(rddOf(parts), obj, c, state, round + 1, null, null);
            long images = local.images();
            seen += images;
            float[] expected = new float[before.length];
            float[] expectedV = new float[before.length];
            double maxOuterMove = 0;
            for (int i = 0; i < before.length; i++) {
                double mean = local.mean()[i];
                double delta = before[i] - mean;
                double vi = 0.9 * v[i] + delta;
                expectedV[i] = (float) vi;
                expected[i] = (float) (before[i] - 0.7 * (delta + 0.9 * vi));
                maxOuterMove = Math.max(maxOuterMove, Math.abs(expected[i] - mean));
            }
            assertTrue(maxOuterMove > 100 * OUTER_TOL, "the outer step moves the weights off the mean: " + maxOuterMove);
            assertArrayEquals(expected, state.params(), OUTER_TOL, "round " + round);
            assertArrayEquals(expectedV, state.outerMomentum(), OUTER_TOL, "round " + round);
            double beta = Math.pow(0.5, images / Math.min(30, 0.5 * seen));
            for (int i = 0; i < ema.length; i++) {
                ema[i] = (float) (beta * ema[i] + (1 - beta) * state.params()[i]);
            }
            assertArrayEquals(ema, state.ema(), MEAN_TOL, "the EMA follows the outer weights, round " + round);
            before = state.params().clone();
            v = state.outerMomentum().clone();
        }
    }

    /**
     * The image-weighted mean, in double, of each partition's local run from the same weights, optimizer state and
     * step: what a round averages, recomputed without Spark.
     */
    record LocalMean(double[] mean, long images) {
        static LocalMean of(Objective obj, TrainingConfig c, List<Shard> parts, float[] before, float[] state,
                            long startStep, int steps) {
            double[] sum = new double[before.length];
            long images = 0;
            for (int p = 0; p < parts.size(); p++) {
                PartitionResult r = LocalTrainer.run(obj, c, parts.get(p), p, before, state, startStep, steps);
                for (int i = 0; i < before.length; i++) {
                    sum[i] += r.images() * (double) r.params()[i];
                }
                images += r.images();
            }
            for (int i = 0; i < sum.length; i++) {
                sum[i] /= images;
            }
            return new LocalMean(sum, images);
        }
    }

    /** A round task failing in its first attempt and retried by Spark changes nothing. */
    @Test
    void aRetriedTaskChangesNothingWithNesterov() {
        assertARetryChangesNothing(config(DILOCO));
    }

    /**
     * Three rounds on two partitions, clean and with partition 1's first task attempt failing: weights, EMA, outer
     * momentum and optimizer state bit for bit.
     */
    static void assertARetryChangesNothing(TrainingConfig c) {
        Objective obj = new ToyDenoisingObjective(D);
        JavaRDD<Shard> shards = rddOf(twoParts());
        var clean = DistributedTraining.run(shards, obj, c, TrainingState.initial(obj, c), 3, null, null);
        FaultInjection.FailingObjective.budget = new FaultInjection.Budget(1);
        var faulty = DistributedTraining.run(shards, new FaultInjection.FailingObjective(obj, 1, 2), c,
                TrainingState.initial(obj, c), 3, null, null);
        assertEquals(1, FaultInjection.FailingObjective.budget.thrown(), "the failure was injected");
        assertArrayEquals(clean.state().params(), faulty.state().params());
        assertArrayEquals(clean.state().ema(), faulty.state().ema());
        assertArrayEquals(clean.state().outerMomentum(), faulty.state().outerMomentum());
        assertArrayEquals(clean.state().sharedState(), faulty.state().sharedState());
    }

    /**
     * Two rounds, a checkpoint, a fresh driver state read from it and two more rounds: the momentum read back is
     * the one saved, and the final weights, EMA and momentum equal an uninterrupted run's, bit for bit.
     */
    @Test
    void aResumeRestoresTheOuterMomentumBitForBit(@TempDir Path dir) {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(DILOCO);
        var conf = spark().sparkContext().hadoopConfiguration();
        var straight = DistributedTraining.run(rddOf(twoParts()), obj, c, TrainingState.initial(obj, c), 4, null, null);
        var ckpt = new Checkpoints(dir.toString(), 2, conf);
        var firstHalf = DistributedTraining.run(rddOf(twoParts()), obj, c, TrainingState.initial(obj, c), 2, null, ckpt);
        TrainingState resumed = new Checkpoints(dir.toString(), 2, conf).latest(obj.numParameters(), true);
        assertEquals(2, resumed.round());
        assertArrayEquals(firstHalf.state().outerMomentum(), resumed.outerMomentum());
        resumed.matchOuterOptimizer(c.outerOptimizer());
        var rest = DistributedTraining.run(rddOf(twoParts()), obj, c, resumed, 4, null, null);
        assertArrayEquals(straight.state().params(), rest.state().params());
        assertArrayEquals(straight.state().ema(), rest.state().ema());
        assertArrayEquals(straight.state().outerMomentum(), rest.state().outerMomentum());
    }

    /**
     * A checkpoint without outer momentum (plain averaging writes the same files as before outer optimizers)
     * resumed with nesterov starts from zero momentum: as if the averaged run's state had been given zeros.
     */
    @Test
    void aCheckpointWithoutMomentumResumesNesterovFromZero(@TempDir Path dir) {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig average = config(OuterOptimizer.AVERAGE);
        TrainingConfig nesterov = config(DILOCO);
        var conf = spark().sparkContext().hadoopConfiguration();
        var ckpt = new Checkpoints(dir.toString(), 2, conf);
        var averaged = DistributedTraining.run(rddOf(twoParts()), obj, average, TrainingState.initial(obj, average), 2,
                null, ckpt);
        TrainingState old = new Checkpoints(dir.toString(), 2, conf).latest(obj.numParameters(), true);
        assertNull(old.outerMomentum(), "plain averaging saves no outer momentum");
        old.matchOuterOptimizer(nesterov.outerOptimizer());
        assertArrayEquals(new float[obj.numParameters()], old.outerMomentum());
        var resumed = DistributedTraining.run(rddOf(twoParts()), obj, nesterov, old, 3, null, null);

        TrainingState expected = averaged.state();
        expected.setOuterMomentum(new float[obj.numParameters()]);
        DistributedTraining.run(rddOf(twoParts()), obj, nesterov, expected, 3, null, null);
        assertArrayEquals(expected.params(), resumed.state().params());
        assertArrayEquals(expected.outerMomentum(), resumed.state().outerMomentum());
    }

    /** An outer step that overflows float is a diverged round, though the partitions' mean is finite. */
    @Test
    void anOverflowingOuterStepIsADivergedRound() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(new OuterOptimizer.Nesterov(1e300, 0.9));
        TrainingState state = TrainingState.initial(obj, c);
        float[] start = state.params().clone();
        var e = assertThrows(TrainingDivergedException.class,
                () -> DistributedTraining.run(rddOf(twoParts()), obj, c, state, 2, null, null));
        assertEquals(0, e.round());
        assertTrue(e.getMessage().contains("weight after the outer step"), e.getMessage());
        assertArrayEquals(start, state.params(), "the diverged round left the state as it was");
        assertArrayEquals(new float[start.length], state.outerMomentum());
    }

    @Test
    void theOuterParamsHaveDilocoDefaultsAndRejectBadValues() {
        DiffusionTrainer t = new DiffusionTrainer();
        assertEquals("average", t.getOuterOptimizer());
        assertEquals(0.7, t.getOuterLearningRate());
        assertEquals(0.9, t.getOuterMomentum());
        assertEquals(OuterOptimizer.AVERAGE, t.trainingConfig().outerOptimizer());
        assertEquals(new OuterOptimizer.Nesterov(0.7, 0.9),
                t.setOuterOptimizer("nesterov").trainingConfig().outerOptimizer());
        assertEquals(false, t.getOuterFollowsSchedule());
        assertEquals(new OuterOptimizer.Nesterov(0.7, 0.9, true),
                t.setOuterFollowsSchedule(true).trainingConfig().outerOptimizer());
        assertThrows(IllegalArgumentException.class, () -> t.setOuterOptimizer("adam"));
        assertThrows(IllegalArgumentException.class, () -> t.setOuterLearningRate(0));
        assertThrows(IllegalArgumentException.class, () -> t.setOuterMomentum(1.0));
    }

    /**
     * The inner rate an outer step that follows the schedule divides by: the mean rate of the round's local steps.
     * config(): rate 0.05, warm-up 2 steps, 2 local steps. Round 0, steps 1 and 2: (0.025 + 0.05) / 2 = 0.0375.
     * With a cosine over 4 steps, step k's rate is 0.05 min(1, k/2) (1 + cos(pi (k-1)/4)) / 2: step 1 0.025, step 2
     * 0.05 (1 + cos(pi/4)) / 2 = 0.0426777, mean 0.0338388.
     */
    @Test
    void theRoundsInnerRateIsTheMeanOfItsStepsRates() {
        TrainingState state = TrainingState.initial(new ToyDenoisingObjective(D), config(DILOCO));
        assertEquals(0.0375, state.roundLearningRate(config(DILOCO)), 1e-15);
        assertEquals((0.025 + 0.05 * (1 + Math.sqrt(0.5)) / 2) / 2,
                state.roundLearningRate(config(DILOCO).withCosineSteps(4)), 1e-15);
        assertEquals(0.0338388, state.roundLearningRate(config(DILOCO).withCosineSteps(4)), 1e-7);
    }

    /** A NaN in the outer momentum is refused like one in the weights: no diverged state reaches a checkpoint. */
    @Test
    void aNonFiniteMomentumIsNeverCheckpointed(@TempDir Path dir) {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingState state = TrainingState.initial(obj, config(DILOCO));
        float[] v = new float[obj.numParameters()];
        v[3] = Float.NaN;
        state.setOuterMomentum(v);
        var e = assertThrows(IllegalStateException.class,
                () -> new Checkpoints(dir.toString(), 1, new org.apache.hadoop.conf.Configuration()).save(state));
        assertTrue(e.getMessage().contains("outer momentum entry 3"), e.getMessage());
    }

    /** A momentum the run's rule does not use (nesterov checkpoint, average run) is dropped; a wrong length refused. */
    @Test
    void aMomentumTheRunDoesNotUseIsDropped() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingState state = TrainingState.initial(obj, config(DILOCO));
        state.matchOuterOptimizer(OuterOptimizer.AVERAGE);
        assertNull(state.outerMomentum());
        var e = assertThrows(IllegalArgumentException.class, () -> state.setOuterMomentum(new float[3]));
        assertTrue(e.getMessage().contains("3 floats"), e.getMessage());
    }
}
