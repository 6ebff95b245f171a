package io.sparkdiffusion.spark;

import io.sparkdiffusion.io.WeightsFormat;
import io.sparkdiffusion.train.Batch;
import io.sparkdiffusion.train.DivergencePolicy;
import io.sparkdiffusion.train.Objective;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingDivergedException;
import io.sparkdiffusion.train.TrainingState;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Point 3 of the fault issue: a round with a NaN or infinite loss or weight is detected on the driver and
 * discarded; the run backs off the learning rate as configured or stops with an error naming the round and the
 * last good checkpoint; no NaN reaches a checkpoint.
 */
class DivergenceTest extends SparkTestBase {
    private static final int SIZE = 8;
    private static final int DIM = SIZE * SIZE;
    /** A learning rate no network survives: Adam's first step moves every weight by about 1e30. */
    private static final double EXPLOSIVE_LR = 1e30;

    /** Poisons the {@code atCall}-th gradient of a task on partition 0 while its budget lasts. */
    static final class PoisonedObjective extends FaultInjection.ForwardingObjective {
        private static final long serialVersionUID = 1L;
        static final AtomicInteger BUDGET = new AtomicInteger();
        private final boolean nanLoss;
        private final int atCall;
        private transient int calls;

        PoisonedObjective(Objective delegate, boolean nanLoss, int atCall) {
            super(delegate);
            this.nanLoss = nanLoss;
            this.atCall = atCall;
        }

        @Override
        public double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom random) {
            double loss = delegate.lossAndGradient(params, grads, batch, random);
            if (++calls == atCall && FaultInjection.firstAttemptOf(0) && BUDGET.getAndDecrement() > 0) {
                if (nanLoss) {
                    return Double.NaN;
                }
                grads[7] = Float.NaN; // the loss is finite, the update makes weights NaN (last step: no later loss sees it)
            }
            return loss;
        }
    }

    private static DiffusionTrainer trainer() {
        return DiffusionTrainerTest.tinyTrainer().setWarmupSteps(0);
    }

    /**
     * Natural divergence through fit: resumed from round 2 with an explosive learning rate (a changed learning
     * rate, so the resume is forced), the run stops.
     */
    @Test
    void aDivergedRoundStopsNamingTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        Dataset<Row> df = TinyData.frame(8, SIZE, 1, 2, 31);
        String ckpt = dir.resolve("ckpt").toString();
        trainer().setNumRounds(2).setCheckpointDir(ckpt).setCheckpointInterval(1).fit(df);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> trainer().setNumRounds(4)
                .setLearningRate(EXPLOSIVE_LR).setForceResume(true).setCheckpointDir(ckpt).setCheckpointInterval(1).fit(df));
        assertEquals(2, e.round());
        assertTrue(e.getMessage().contains("round 2") && e.getMessage().contains("round-000002")
                && e.getMessage().contains("learningRate"), e.getMessage());
        assertEquals("round-000002", Files.readString(dir.resolve("ckpt").resolve(Checkpoints.LATEST)).strip());
        assertEveryCheckpointIsFinite(dir.resolve("ckpt"));
    }

    /** Backoff: each diverged round is retried at a lower rate, at most maxBackoffs times, then the run stops. */
    @Test
    void backoffsAreBoundedByMaxBackoffs() {
        Dataset<Row> df = TinyData.frame(8, SIZE, 1, 2, 32);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> trainer().setNumRounds(2)
                .setLearningRate(EXPLOSIVE_LR).setOnDivergence("backoff").setLearningRateBackoff(0.5).setMaxBackoffs(2)
                .fit(df));
        assertTrue(e.getMessage().contains("2 learning-rate backoffs") && e.getMessage().contains("no checkpoint"),
                e.getMessage());
    }

    /**
     * A NaN loss in round 1 with onDivergence = backoff: the round is discarded and rerun at half the learning
     * rate, and the run equals one that used the lower rate from round 1 on, bit for bit.
     */
    @Test
    void aBackedOffRunEqualsARunAtTheLowerRate() {
        DiffusionTrainer t = trainer().setNumRounds(3);
        JavaRDD<Shard> shards = DistributedTraining.shards(TinyData.frame(8, SIZE, 1, 2, 33), "tensor", null, DIM, 0);
        try {
            TrainingConfig config = t.trainingConfig();
            Objective plain = t.objective();
            PoisonedObjective.BUDGET.set(0);
            DivergencePolicy backoff = new DivergencePolicy(DivergencePolicy.Action.BACKOFF, 0.5, 3);
            TrainingState state = TrainingState.initial(plain, config);
            var result = DistributedTraining.run(shards, new PoisonedObjective(plain, true, 1), config, state, 3,
                    (r, planned) -> PoisonedObjective.BUDGET.set(r.round() == 0 ? 1 : 0), null, backoff);
            assertEquals(0.5, result.state().learningRateScale());
            assertEquals(3, result.summary().rounds().size(), "the discarded round is not recorded");

            TrainingState expected = TrainingState.initial(plain, config);
            DistributedTraining.run(shards, plain, config, expected, 1, null, null);
            DistributedTraining.run(shards, plain, config.withLearningRate(config.learningRate() * 0.5), expected, 3,
                    null, null);
            assertArrayEquals(expected.params(), result.state().params());
            assertArrayEquals(expected.ema(), result.state().ema());
        } finally {
            shards.unpersist(false);
        }
    }

    /** A finite loss with NaN weights (a poisoned gradient) is caught by the driver's check of the weights. */
    @Test
    void nonFiniteWeightsWithAFiniteLossAreCaught(@TempDir Path dir) throws IOException {
        DiffusionTrainer t = trainer().setNumRounds(3);
        JavaRDD<Shard> shards = DistributedTraining.shards(TinyData.frame(8, SIZE, 1, 2, 34), "tensor", null, DIM, 0);
        try {
            TrainingConfig config = t.trainingConfig().withLearningRate(1e-3);
            Objective plain = t.objective();
            PoisonedObjective.BUDGET.set(0);
            Checkpoints checkpoints = new Checkpoints(dir.toString(), 1, new Configuration());
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> DistributedTraining.run(
                    shards, new PoisonedObjective(plain, false, 3), config, TrainingState.initial(plain, config), 3,
                    (r, planned) -> PoisonedObjective.BUDGET.set(r.round() == 0 ? 1 : 0), checkpoints,
                    DivergencePolicy.STOP));
            assertEquals(1, e.round());
            assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("NaN")
                    && e.getMessage().contains("round-000001"), e.getMessage());
            assertEveryCheckpointIsFinite(dir);
        } finally {
            shards.unpersist(false);
        }
    }

    private static void assertEveryCheckpointIsFinite(Path dir) throws IOException {
        List<Path> rounds;
        try (Stream<Path> s = Files.list(dir)) {
            rounds = s.filter(p -> p.getFileName().toString().startsWith("round-")).toList();
        }
        assertTrue(!rounds.isEmpty());
        for (Path r : rounds) {
            for (var e : WeightsFormat.read(io.sparkdiffusion.io.BlobStore.directory(r)).entrySet()) {
                assertEquals(null, DivergencePolicy.firstNonFinite(e.getKey(), e.getValue()), r + "/" + e.getKey());
            }
        }
    }
}
