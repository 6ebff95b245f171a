package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.train.DivergencePolicy;
import io.sparkdiffusion.train.Objective;
import io.sparkdiffusion.train.OuterOptimizer;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.ToyData;
import io.sparkdiffusion.train.ToyDenoisingObjective;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingState;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code outerInterval}: DiLoCo's outer step on each partition every {@code outerInterval} local steps
 * ({@link Optimizer.Lookahead}), the rounds averaging the weights and the whole optimizer state plainly. With the
 * interval equal to the round on one partition it is the driver's outer step bit for bit; on two partitions the
 * same up to rounding; shorter intervals average what the partitions' own runs give; a task retry and a resume
 * between two outer steps change nothing. The step itself is checked by hand in {@code LookaheadTest}.
 */
class OuterIntervalTrainingTest extends SparkTestBase {
    private static final int D = 12;
    private static final Optimizer ADAM = new Optimizer.Adam(0.9, 0.99, 1e-8);
    private static final OuterOptimizer DILOCO = new OuterOptimizer.Nesterov(OuterOptimizer.DILOCO_LEARNING_RATE,
            OuterOptimizer.DILOCO_MOMENTUM);
    /** Test-side weighted means in double vs the trainer's compensated sums, both rounded to float. */
    private static final float MEAN_TOL = 1e-6f;
    /**
     * The driver's step of the mean against the mean of the partitions' steps: the same linear map, rounded to float
     * in another order, lr (1 + mu) = 1.33 times a mean's rounding per round, over three rounds of training.
     */
    private static final float LINEAR_TOL = 1e-5f;

    private static TrainingConfig driverStep(int localSteps) {
        return new TrainingConfig(4, localSteps, 0.05, 2, 1.0, ADAM, 30, 0.5, true, 1234, DILOCO);
    }

    private static TrainingConfig partitionSteps(int localSteps, int interval) {
        return new TrainingConfig(4, localSteps, 0.05, 2, 1.0,
                new Optimizer.Lookahead(ADAM, interval, OuterOptimizer.DILOCO_LEARNING_RATE,
                        OuterOptimizer.DILOCO_MOMENTUM, false), 30, 0.5, true, 1234, OuterOptimizer.AVERAGE);
    }

    /** The outer momentum inside a Lookahead state: after Adam's 2n floats and the anchor's n. */
    private static float[] momentumOf(float[] state, int n) {
        return Arrays.copyOfRange(state, 3 * n, 4 * n);
    }

    private static TrainingState run(List<Shard> parts, TrainingConfig c, int rounds, int shortRounds) {
        Objective obj = new ToyDenoisingObjective(D);
        return DistributedTraining.run(OuterOptimizerTrainingTest.rddOf(parts), obj, c, TrainingState.initial(obj, c),
                rounds, shortRounds, null, null, DivergencePolicy.STOP, "test", null).state();
    }

    /**
     * One partition, two short rounds then three rounds of 3 steps: the outer step every 3 local steps on the
     * partition is the driver's outer step at each round's end, weights, EMA and momentum bit for bit (the same
     * double arithmetic on the same floats; one partition's mean is its own weights).
     */
    @Test
    void anIntervalOfOneRoundOnOnePartitionIsTheDriversStepBitForBit() {
        List<Shard> one = List.of(ToyData.shard(6, D, 0, 1));
        TrainingState driver = run(one, driverStep(3), 5, 2);
        TrainingState partition = run(one, partitionSteps(3, 3), 5, 2);
        assertArrayEquals(driver.params(), partition.params());
        assertArrayEquals(driver.ema(), partition.ema());
        int n = driver.params().length;
        assertArrayEquals(driver.outerMomentum(), momentumOf(partition.sharedState(), n));
        assertTrue(ShortRoundsTrainingTest.maxAbs(driver.outerMomentum()) > 1e-3, "the outer steps moved");
        assertArrayEquals(driver.params(), Arrays.copyOfRange(partition.sharedState(), 2 * n, 3 * n),
                "after an outer step the anchor is the weights");
    }

    /**
     * Two partitions, interval equal to the round: the mean of the partitions' outer steps (they start from the same
     * anchor and momentum) is the outer step of their mean, up to rounding; and far from plain averaging.
     */
    @Test
    void onTwoPartitionsTheMeanOfTheirOuterStepsIsTheOuterStepOfTheMean() {
        List<Shard> two = OuterOptimizerTrainingTest.twoParts();
        TrainingState driver = run(two, driverStep(3), 3, 0);
        TrainingState partition = run(two, partitionSteps(3, 3), 3, 0);
        TrainingState plain = run(two, new TrainingConfig(4, 3, 0.05, 2, 1.0, ADAM, 30, 0.5, true, 1234,
                OuterOptimizer.AVERAGE), 3, 0);
        assertArrayEquals(driver.params(), partition.params(), LINEAR_TOL);
        assertArrayEquals(driver.outerMomentum(), momentumOf(partition.sharedState(), driver.params().length),
                LINEAR_TOL);
        float far = 0;
        for (int i = 0; i < plain.params().length; i++) {
            far = Math.max(far, Math.abs(plain.params()[i] - partition.params()[i]));
        }
        assertTrue(far > 100 * LINEAR_TOL, "the outer steps moved the weights off plain averaging: " + far);
    }

    /**
     * Two partitions, rounds of 4 steps with an outer step every 2: a round's weights and state are the
     * image-weighted means of the two partitions' own runs (each with its outer steps) from the round's start.
     */
    @Test
    void shorterIntervalsAverageWhatThePartitionsOwnRunsGive() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = partitionSteps(4, 2);
        List<Shard> parts = OuterOptimizerTrainingTest.twoParts();
        TrainingState state = TrainingState.initial(obj, c);
        for (int round = 0; round < 2; round++) {
            var local = OuterOptimizerTrainingTest.LocalMean.of(obj, c, parts, state.params().clone(),
                    state.sharedState().clone(), state.step(), 4);
            DistributedTraining.run(OuterOptimizerTrainingTest.rddOf(parts), obj, c, state, round + 1, null, null);
            float[] expected = new float[local.mean().length];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = (float) local.mean()[i];
            }
            assertArrayEquals(expected, state.params(), MEAN_TOL, "round " + round);
        }
        int n = state.params().length;
        assertEquals(1f, state.sharedState()[4 * n], "the round ended on an outer step: no step since the anchor");
    }

    /** A round task failing in its first attempt and retried by Spark: weights, EMA and state bit for bit. */
    @Test
    void aRetriedTaskChangesNothing() {
        OuterOptimizerTrainingTest.assertARetryChangesNothing(partitionSteps(2, 3));
    }

    /**
     * Rounds of 2 steps with an outer step every 3, so that the checkpoint after round 2 (step 4) falls between two
     * outer steps: resumed from it, the run ends where an uninterrupted one does, bit for bit.
     */
    @Test
    void aResumeBetweenTwoOuterStepsEqualsTheStraightRun(@TempDir Path dir) {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = partitionSteps(2, 3);
        var conf = spark().sparkContext().hadoopConfiguration();
        var straight = DistributedTraining.run(OuterOptimizerTrainingTest.rddOf(OuterOptimizerTrainingTest.twoParts()),
                obj, c, TrainingState.initial(obj, c), 4, null, null);
        var ckpt = new Checkpoints(dir.toString(), 2, conf);
        DistributedTraining.run(OuterOptimizerTrainingTest.rddOf(OuterOptimizerTrainingTest.twoParts()), obj, c,
                TrainingState.initial(obj, c), 2, null, ckpt);
        TrainingState resumed = new Checkpoints(dir.toString(), 2, conf).latest(obj.numParameters(), true);
        int n = obj.numParameters();
        assertEquals(2f, resumed.sharedState()[4 * n], "one step since the outer step at step 3");
        var rest = DistributedTraining.run(OuterOptimizerTrainingTest.rddOf(OuterOptimizerTrainingTest.twoParts()),
                obj, c, resumed, 4, null, null);
        assertArrayEquals(straight.state().params(), rest.state().params());
        assertArrayEquals(straight.state().ema(), rest.state().ema());
        assertArrayEquals(straight.state().sharedState(), rest.state().sharedState());
    }

    /** A checkpoint of the driver's outer step resumed with outerInterval (another state size) is refused by name. */
    @Test
    void aCheckpointWithAnotherStateIsRefusedByName(@TempDir Path dir) {
        Dataset<Row> df = TinyData.frame(10, 8, 1, 1, 1);
        DiffusionTrainerTest.tinyTrainer().setOuterOptimizer("nesterov").setCheckpointDir(dir.toString())
                .setCheckpointInterval(1).fit(df);
        DiffusionTrainer more = DiffusionTrainerTest.tinyTrainer().setOuterOptimizer("nesterov").setOuterInterval(3)
                .setNumRounds(4).setCheckpointDir(dir.toString()).setForceResume(true);
        var e = assertThrows(IllegalArgumentException.class, () -> more.fit(df));
        assertTrue(e.getMessage().contains("holds an optimizer state of") && e.getMessage().contains("outerInterval 3")
                && e.getMessage().contains("another checkpointDir"), e.getMessage());
    }

    @Test
    void theParamMovesTheOuterStepIntoThePartitionsOptimizer() {
        DiffusionTrainer t = new DiffusionTrainer();
        assertEquals(0, t.getOuterInterval());
        TrainingConfig c = t.setOuterOptimizer("nesterov").setOuterMomentum(0.8).setOuterInterval(20).trainingConfig();
        assertEquals(new Optimizer.Lookahead(new Optimizer.Adam(0.9, 0.999, 1e-8), 20, 0.7, 0.8, false), c.optimizer());
        assertEquals(OuterOptimizer.AVERAGE, c.outerOptimizer());
        assertEquals(new Optimizer.Lookahead(new Optimizer.Adam(0.9, 0.999, 1e-8), 20, 0.7, 0.8, true),
                c.shortRound().optimizer(), "short rounds pause the outer steps");
        var e = assertThrows(IllegalArgumentException.class,
                () -> new DiffusionTrainer().setOuterInterval(20).trainingConfig());
        assertTrue(e.getMessage().startsWith("outerInterval is 20") && e.getMessage().contains("set outerOptimizer to "
                + "nesterov"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.setOuterFollowsSchedule(true).trainingConfig());
        assertTrue(e.getMessage().contains("outerFollowsSchedule"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> t.setOuterFollowsSchedule(false).setAverageOptimizerState(false).trainingConfig());
        assertTrue(e.getMessage().contains("set averageOptimizerState to true"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.setOuterInterval(-1));
    }
}
