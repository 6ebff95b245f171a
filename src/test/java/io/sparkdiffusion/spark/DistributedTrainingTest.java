package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.train.LocalTrainer;
import io.sparkdiffusion.train.LocalTrainingLoop;
import io.sparkdiffusion.train.Objective;
import io.sparkdiffusion.train.PartitionResult;
import io.sparkdiffusion.train.RoundRecord;
import io.sparkdiffusion.train.Seeds;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.ToyData;
import io.sparkdiffusion.train.ToyDenoisingObjective;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks 2 and 3 of the training machinery, on the toy objective (the U-Net versions live in DiffusionTrainerTest). */
class DistributedTrainingTest extends SparkTestBase {
    private static final int D = 12;
    /** Weighted means computed in the test (double sums) against the trainer's compensated sums, in float. */
    private static final float MEAN_TOL = 1e-6f;
    /** One SGD step from averaged gradients vs the average of four SGD steps: float rounding only. */
    private static final float SGD_TOL = 1e-6f;

    private static TrainingConfig config(Optimizer optimizer, int localSteps, double emaHalfLife) {
        return new TrainingConfig(4, localSteps, 0.05, 2, 1.0, optimizer, emaHalfLife, 0.5, true, 1234);
    }

    /** A JavaRDD of one shard per partition, made from explicit per-partition shards. */
    private static JavaRDD<Shard> rddOf(List<Shard> parts) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark().sparkContext());
        return jsc.parallelize(parts, parts.size()).cache();
    }

    @Test
    void onePartitionEqualsThePlainLocalLoopBitForBit() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(new Optimizer.Adam(0.9, 0.99, 1e-8), 3, 50);
        Shard data = ToyData.shard(11, D, 0, 3);
        List<RoundRecord> seen = new ArrayList<>();
        var result = DistributedTraining.run(rddOf(List.of(data)), obj, c, TrainingState.initial(obj, c), 4,
                (r, planned) -> seen.add(r), null);
        var plain = LocalTrainingLoop.run(obj, c, data, 12);
        assertArrayEquals(plain.params(), result.state().params());
        assertArrayEquals(plain.ema(), result.state().ema());
        assertArrayEquals(plain.optimizerState(), result.state().sharedState());
        assertEquals(4, seen.size());
        assertEquals(4, result.summary().rounds().size());
        assertEquals(48, result.state().imagesSeen());
        double plainRound0 = (plain.stepLosses()[0] + plain.stepLosses()[1] + plain.stepLosses()[2]) / 3;
        assertEquals(plainRound0, result.summary().rounds().get(0).loss(), 1e-12);
    }

    /** Four partitions of different sizes (one smaller than a batch) on local[2]: one round, recomputed here. */
    @Test
    void oneRoundIsTheImageWeightedMeanOfFourLocalRuns() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(new Optimizer.Adam(0.9, 0.99, 1e-8), 3, 0);
        List<Shard> parts = List.of(ToyData.shard(9, D, 0, 1), ToyData.shard(2, D, 0, 2), ToyData.shard(7, D, 0, 3),
                ToyData.shard(12, D, 0, 4));
        var result = DistributedTraining.run(rddOf(parts), obj, c, TrainingState.initial(obj, c), 1, null, null);

        float[] w0 = new float[obj.numParameters()];
        obj.initialize(w0, Seeds.init(c.seed()));
        double[] sum = new double[w0.length];
        double[] stateSum = new double[2 * w0.length];
        long images = 0;
        for (int p = 0; p < 4; p++) {
            PartitionResult r = LocalTrainer.run(obj, c, parts.get(p), p, w0, new float[2 * w0.length], 0, 3);
            long n = 3L * Math.min(4, parts.get(p).size());
            assertEquals(n, r.images());
            for (int i = 0; i < w0.length; i++) {
                sum[i] += n * (double) r.params()[i];
            }
            for (int i = 0; i < stateSum.length; i++) {
                stateSum[i] += n * (double) r.optimizerState()[i];
            }
            images += n;
        }
        float[] expected = new float[w0.length];
        for (int i = 0; i < w0.length; i++) {
            expected[i] = (float) (sum[i] / images);
        }
        float[] expectedState = new float[stateSum.length];
        for (int i = 0; i < stateSum.length; i++) {
            expectedState[i] = (float) (stateSum[i] / images);
        }
        assertArrayEquals(expected, result.state().params(), MEAN_TOL);
        assertArrayEquals(expectedState, result.state().sharedState(), MEAN_TOL);
        assertArrayEquals(result.state().params(), result.state().ema(), "half-life 0: the EMA is the weights");
        assertEquals(images, result.summary().rounds().get(0).images());
        assertEquals(4, result.summary().rounds().get(0).partitions());
    }

    /** With SGD and one local step, averaging weights is averaging gradients: w1 = w0 - lr * sum_p n_p g_p / N. */
    @Test
    void oneSgdStepPerRoundIsGradientAveraging() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = new TrainingConfig(4, 1, 0.1, 0, 0, new Optimizer.Sgd(), 0, 0, true, 99);
        List<Shard> parts = List.of(ToyData.shard(5, D, 0, 1), ToyData.shard(3, D, 0, 2), ToyData.shard(8, D, 0, 3),
                ToyData.shard(4, D, 0, 4));
        var result = DistributedTraining.run(rddOf(parts), obj, c, TrainingState.initial(obj, c), 1, null, null);

        float[] w0 = new float[obj.numParameters()];
        obj.initialize(w0, Seeds.init(c.seed()));
        double[] g = new double[w0.length];
        long images = 0;
        for (int p = 0; p < 4; p++) {
            // The same batch and noise the partition drew: the step's random stream, batch indices first.
            SplittableRandom random = new SplittableRandom(Seeds.step(c.seed(), 0, p));
            Shard s = parts.get(p);
            int n = Math.min(4, s.size());
            int[] idx = batchIndices(s.size(), 4, random);
            float[] gp = new float[w0.length];
            obj.lossAndGradient(w0, gp, s.select(idx), random);
            for (int i = 0; i < g.length; i++) {
                g[i] += n * (double) gp[i];
            }
            images += n;
        }
        float[] expected = new float[w0.length];
        for (int i = 0; i < w0.length; i++) {
            expected[i] = (float) (w0[i] - 0.1 * g[i] / images);
        }
        assertArrayEquals(expected, result.state().params(), SGD_TOL);
    }

    @Test
    void checkpointsResumeToTheSameWeights(@TempDir Path dir) {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(new Optimizer.Adam(0.9, 0.99, 1e-8), 2, 30);
        List<Shard> parts = List.of(ToyData.shard(6, D, 0, 1), ToyData.shard(5, D, 0, 2));
        var conf = spark().sparkContext().hadoopConfiguration();
        var straight = DistributedTraining.run(rddOf(parts), obj, c, TrainingState.initial(obj, c), 4, null, null);
        var ckpt = new Checkpoints(dir.toString(), 2, conf);
        DistributedTraining.run(rddOf(parts), obj, c, TrainingState.initial(obj, c), 2, null, ckpt);
        TrainingState resumed = ckpt.latest(obj.numParameters(), true);
        assertEquals(2, resumed.round());
        var rest = DistributedTraining.run(rddOf(parts), obj, c, resumed, 4, null, null);
        assertArrayEquals(straight.state().params(), rest.state().params());
        assertArrayEquals(straight.state().ema(), rest.state().ema());
    }

    /** An independent copy of the batch rule documented on LocalTrainer.batchIndices: a partial Fisher-Yates. */
    private static int[] batchIndices(int size, int batch, SplittableRandom random) {
        int[] all = new int[size];
        Arrays.setAll(all, i -> i);
        if (size <= batch) {
            return all;
        }
        for (int i = 0; i < batch; i++) {
            int j = i + random.nextInt(size - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, batch);
    }

    /** Without state averaging, each partition carries its own Adam moments from round to round. */
    @Test
    void unaveragedOptimizerStateStaysWithItsPartition() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = new TrainingConfig(4, 2, 0.05, 0, 0, new Optimizer.Adam(0.9, 0.99, 1e-8), 0, 0, false, 7);
        List<Shard> parts = List.of(ToyData.shard(6, D, 0, 1), ToyData.shard(5, D, 0, 2));
        var result = DistributedTraining.run(rddOf(parts), obj, c, TrainingState.initial(obj, c), 2, null, null);
        float[] w0 = new float[obj.numParameters()];
        obj.initialize(w0, Seeds.init(7));
        PartitionResult[] first = new PartitionResult[2];
        double[] sum = new double[w0.length];
        for (int p = 0; p < 2; p++) {
            first[p] = LocalTrainer.run(obj, c, parts.get(p), p, w0, new float[2 * w0.length], 0, 2);
            for (int i = 0; i < w0.length; i++) {
                sum[i] += 8.0 * first[p].params()[i];
            }
        }
        float[] w1 = new float[w0.length];
        for (int i = 0; i < w0.length; i++) {
            w1[i] = (float) (sum[i] / 16);
        }
        for (int p = 0; p < 2; p++) {
            // Round 2 starts from the averaged weights and the partition's own state after round 1.
            PartitionResult second = LocalTrainer.run(obj, c, parts.get(p), p, w1, first[p].optimizerState(), 2, 2);
            assertArrayEquals(second.optimizerState(), result.state().partitionStates().get(p), "partition " + p);
        }
    }

    /** A task that fails on its first attempt is retried (local[2,4]) and the round comes out the same. */
    @Test
    void aRetriedTaskGivesTheSameRound() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(new Optimizer.Adam(0.9, 0.99, 1e-8), 2, 10);
        List<Shard> parts = List.of(ToyData.shard(6, D, 0, 1), ToyData.shard(5, D, 0, 2), ToyData.shard(4, D, 0, 3));
        var clean = DistributedTraining.run(rddOf(parts), obj, c, TrainingState.initial(obj, c), 2, null, null);
        var retried = DistributedTraining.run(rddOf(parts), new FailOnFirstAttempt(obj), c,
                TrainingState.initial(obj, c), 2, null, null);
        assertArrayEquals(clean.state().params(), retried.state().params());
        assertArrayEquals(clean.state().ema(), retried.state().ema());
    }

    /** Throws in the first attempt of every task (after doing some of its work), as a lost executor would. */
    private static final class FailOnFirstAttempt implements Objective {
        private final Objective inner;

        FailOnFirstAttempt(Objective inner) {
            this.inner = inner;
        }

        @Override
        public int numParameters() {
            return inner.numParameters();
        }

        @Override
        public void initialize(float[] params, long seed) {
            inner.initialize(params, seed);
        }

        @Override
        public double lossAndGradient(float[] params, float[] grads, io.sparkdiffusion.train.Batch batch,
                                      SplittableRandom random) {
            double loss = inner.lossAndGradient(params, grads, batch, random);
            org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
            if (task != null && task.attemptNumber() == 0) {
                throw new IllegalStateException("simulated executor loss");
            }
            return loss;
        }
    }

    @Test
    void aggregationDepthBoundsTheDriverFanIn() {
        assertEquals(2, DistributedTraining.aggregationDepth(1));
        assertEquals(2, DistributedTraining.aggregationDepth(64));
        assertEquals(3, DistributedTraining.aggregationDepth(65));
        assertEquals(3, DistributedTraining.aggregationDepth(512));
        assertEquals(4, DistributedTraining.aggregationDepth(513));
    }

    @Test
    void timeSplitAddsUp() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(new Optimizer.Sgd(), 2, 0);
        var result = DistributedTraining.run(rddOf(List.of(ToyData.shard(6, D, 0, 1), ToyData.shard(6, D, 0, 2))), obj, c,
                TrainingState.initial(obj, c), 2, null, null);
        for (RoundRecord r : result.summary().rounds()) {
            assertTrue(r.computeNanos() > 0 && r.totalNanos() >= r.computeNanos() + r.broadcastNanos(), r.toString());
            assertEquals(r.totalNanos(), r.broadcastNanos() + r.computeNanos() + r.aggregateNanos());
            assertTrue(r.totalComputeNanos() > r.computeNanos() && r.totalComputeNanos() <= 2 * r.computeNanos(),
                    "two partitions' times summed: more than the slowest, at most twice it: " + r);
        }
    }
}
