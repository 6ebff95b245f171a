package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.train.DivergencePolicy;
import io.sparkdiffusion.train.LocalTrainingLoop;
import io.sparkdiffusion.train.Objective;
import io.sparkdiffusion.train.OuterOptimizer;
import io.sparkdiffusion.train.RoundRecord;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.ToyDenoisingObjective;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Post-local SGD ({@code shortRoundImages}): the first rounds are one local step each, plainly averaged, with the
 * outer momentum left at zero; then rounds of {@code localSteps} with the outer optimizer. Checked against the
 * local runs recomputed here, against the plain local loop, and across a resume inside the short rounds.
 */
class ShortRoundsTrainingTest extends SparkTestBase {
    private static final int D = 12;
    private static final int SIZE = 8;
    private static final int DIM = SIZE * SIZE;
    /** Test-side weighted means in double vs the trainer's compensated sums, both rounded to float. */
    private static final float MEAN_TOL = 1e-6f;
    /** The outer step multiplies a mean's rounding by lr (1 + mu) = 1.33 at DiLoCo's settings, plus its own. */
    private static final float OUTER_TOL = 2e-6f;
    private static final OuterOptimizer DILOCO = new OuterOptimizer.Nesterov(OuterOptimizer.DILOCO_LEARNING_RATE,
            OuterOptimizer.DILOCO_MOMENTUM);
    private static final int LOCAL_STEPS = 3;

    private static JavaRDD<Shard> twoShards() {
        return OuterOptimizerTrainingTest.rddOf(OuterOptimizerTrainingTest.twoParts());
    }

    private static TrainingConfig config() {
        return new TrainingConfig(4, LOCAL_STEPS, 0.05, 2, 1.0, new Optimizer.Adam(0.9, 0.99, 1e-8), 30, 0.5, true,
                1234, DILOCO);
    }

    /**
     * Five rounds, two of them short, on two partitions, one round at a time: each short round's weights are the
     * image-weighted mean of one local step per partition and leave the momentum at zero; each long round's are
     * DiLoCo's Nesterov step (written out here in double) from the mean of LOCAL_STEPS local steps. The step counter
     * (which seeds every draw) advances by 1, 1, 3, 3, 3.
     */
    @Test
    void theFirstRoundsAreOneStepPlainlyAveragedThenOuterSteps() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config();
        List<Shard> parts = OuterOptimizerTrainingTest.twoParts();
        TrainingState state = TrainingState.initial(obj, c);
        float[] v = new float[obj.numParameters()];
        long[] stepsAfter = {1, 2, 5, 8, 11};
        for (int round = 0; round < 5; round++) {
            boolean shortRound = round < 2;
            float[] before = state.params().clone();
            var local = OuterOptimizerTrainingTest.LocalMean.of(obj, c, parts, before, state.sharedState().clone(),
                    state.step(), shortRound ? 1 : LOCAL_STEPS);
            DistributedTraining.run(twoShards(), obj, c, state, round + 1, 2, null, null, DivergencePolicy.STOP,
                    "test", null);
            assertEquals((shortRound ? 1 : LOCAL_STEPS) * (4 + 4), local.images(), "round " + round + "'s images");
            float[] expected = new float[before.length];
            for (int i = 0; i < before.length; i++) {
                double mean = local.mean()[i];
                if (shortRound) {
                    expected[i] = (float) mean;
                } else {
                    double delta = before[i] - mean;
                    double vi = 0.9 * v[i] + delta;
                    v[i] = (float) vi;
                    expected[i] = (float) (before[i] - 0.7 * (delta + 0.9 * vi));
                }
            }
            assertArrayEquals(expected, state.params(), shortRound ? MEAN_TOL : OUTER_TOL, "round " + round);
            assertArrayEquals(v, state.outerMomentum(), OUTER_TOL, "momentum after round " + round);
            assertEquals(stepsAfter[round], state.step(), "steps after round " + round);
        }
        assertTrue(maxAbs(state.outerMomentum()) > 100 * OUTER_TOL, "the long rounds moved the momentum");
    }

    /** Two rounds, a checkpoint inside the short rounds, a fresh state from it, three more: an uninterrupted run. */
    @Test
    void aResumeInsideTheShortRoundsContinuesTheSchedule(@TempDir Path dir) {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config();
        var conf = spark().sparkContext().hadoopConfiguration();
        var straight = DistributedTraining.run(twoShards(), obj, c, TrainingState.initial(obj, c), 5, 3, null,
                null, DivergencePolicy.STOP, "test", null);
        var ckpt = new Checkpoints(dir.toString(), 2, conf);
        DistributedTraining.run(twoShards(), obj, c, TrainingState.initial(obj, c), 2, 3, null, ckpt,
                DivergencePolicy.STOP, "test", null);
        TrainingState resumed = new Checkpoints(dir.toString(), 2, conf).latest(obj.numParameters(), true);
        assertEquals(2, resumed.round());
        resumed.matchOuterOptimizer(c.outerOptimizer());
        var rest = DistributedTraining.run(twoShards(), obj, c, resumed, 5, 3, null, null,
                DivergencePolicy.STOP, "test", null);
        assertArrayEquals(straight.state().params(), rest.state().params());
        assertArrayEquals(straight.state().ema(), rest.state().ema());
        assertArrayEquals(straight.state().outerMomentum(), rest.state().outerMomentum());
        assertEquals(3 + 2 * LOCAL_STEPS, rest.state().step());
    }

    /**
     * A fit by numImages on one partition (batch 4, localSteps 3, plain averaging): shortRoundImages 10 gives
     * ceil(10 / 4) = 3 short rounds of 4 images, then ceil((40 - 12) / 12) = 3 rounds of 12; one partition averages
     * nothing, so the weights are the plain local loop's after 3 + 9 = 12 steps, bit for bit.
     */
    @Test
    void aFitPlansShortRoundsByImages() {
        Dataset<Row> df = TinyData.frame(10, SIZE, 1, 1, 3);
        DiffusionTrainer trainer = DiffusionTrainerTest.tinyTrainer().setNumImages(40).setShortRoundImages(10);
        DiffusionModel model = trainer.fit(df);
        assertEquals(List.of(4L, 4L, 4L, 12L, 12L, 12L),
                model.summary().rounds().stream().map(RoundRecord::images).toList());
        var plain = LocalTrainingLoop.run(trainer.objective(), trainer.trainingConfig(),
                TinyData.shards(df, DIM, false).get(0), 12);
        assertArrayEquals(plain.params(), model.weights());
    }

    @Test
    void shortRoundsWithSyncModeGradientsAreRefused() {
        DiffusionTrainer trainer = DiffusionTrainerTest.tinyTrainer().setSyncMode("gradients").setLocalSteps(1)
                .setGlobalBatchSize(4).setShortRoundImages(100);
        var e = assertThrows(IllegalArgumentException.class,
                () -> trainer.fit(TinyData.frame(10, SIZE, 1, 1, 3)));
        assertTrue(e.getMessage().startsWith("shortRoundImages is 100, but syncMode gradients"), e.getMessage());
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
