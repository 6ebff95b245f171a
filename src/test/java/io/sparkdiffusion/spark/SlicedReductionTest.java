package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.train.LocalTrainer;
import io.sparkdiffusion.train.LocalTrainingLoop;
import io.sparkdiffusion.train.Objective;
import io.sparkdiffusion.train.PartitionResult;
import io.sparkdiffusion.train.Seeds;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.ToyData;
import io.sparkdiffusion.train.ToyDenoisingObjective;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingDivergedException;
import io.sparkdiffusion.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sliced reduction (a reduce-scatter) on local[2,4], on the toy objective, against independent means. */
class SlicedReductionTest extends SparkTestBase {
    private static final int D = 12;
    /** Weighted means computed here in double against the reducers' compensated sums, in float. */
    private static final float MEAN_TOL = 1e-6f;

    private static TrainingConfig config(boolean averageState) {
        return new TrainingConfig(4, 3, 0.05, 2, 1.0, new Optimizer.Adam(0.9, 0.99, 1e-8), 0, 0.5, averageState, 1234);
    }

    private static JavaRDD<Shard> rddOf(List<Shard> parts) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark().sparkContext());
        return jsc.parallelize(parts, parts.size()).cache();
    }

    /** A sliced plan of {@code slices} slices, fetched {@code perJob} per job. */
    private static ReductionPlan sliced(int slices, int perJob) {
        return new ReductionPlan(Reduction.SLICED, slices, perJob, 0, 0, "test");
    }

    private static DistributedTraining.Result run(List<Shard> parts, Objective obj, TrainingConfig c, int rounds,
                                                  ReductionPlan plan) {
        return DistributedTraining.run(rddOf(parts), obj, c, TrainingState.initial(obj, c), rounds, null, null,
                io.sparkdiffusion.train.DivergencePolicy.STOP, "test", plan);
    }

    private static final List<Shard> PARTS = List.of(ToyData.shard(9, D, 0, 1), ToyData.shard(2, D, 0, 2),
            ToyData.shard(7, D, 0, 3), ToyData.shard(12, D, 0, 4));

    /** One round in 5 slices (3 jobs of 2): the image-weighted mean of four local runs, recomputed here in double. */
    @Test
    void oneRoundIsTheImageWeightedMeanOfFourLocalRuns() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(true);
        var result = run(PARTS, obj, c, 1, sliced(5, 2));
        float[] w0 = new float[obj.numParameters()];
        obj.initialize(w0, Seeds.init(c.seed()));
        double[] sum = new double[w0.length];
        double[] stateSum = new double[2 * w0.length];
        double lossSum = 0;
        long images = 0;
        for (int p = 0; p < 4; p++) {
            PartitionResult r = LocalTrainer.run(obj, c, PARTS.get(p), p, w0, new float[2 * w0.length], 0, 3);
            long n = 3L * Math.min(4, PARTS.get(p).size());
            for (int i = 0; i < w0.length; i++) {
                sum[i] += n * (double) r.params()[i];
            }
            for (int i = 0; i < stateSum.length; i++) {
                stateSum[i] += n * (double) r.optimizerState()[i];
            }
            lossSum += r.lossSum();
            images += n;
        }
        assertArrayEquals(mean(sum, images), result.state().params(), MEAN_TOL);
        assertArrayEquals(mean(stateSum, images), result.state().sharedState(), MEAN_TOL);
        assertEquals(images, result.summary().rounds().get(0).images());
        assertEquals(4, result.summary().rounds().get(0).partitions());
        assertEquals(lossSum / images, result.summary().rounds().get(0).loss(), 1e-12);
    }

    /** With one partition the mean is that partition's floats: the plain local loop, bit for bit, as the tree. */
    @Test
    void onePartitionEqualsThePlainLocalLoopBitForBit() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(true);
        Shard data = ToyData.shard(11, D, 0, 3);
        var result = run(List.of(data), obj, c, 3, sliced(4, 1));
        var plain = LocalTrainingLoop.run(obj, c, data, 9);
        assertArrayEquals(plain.params(), result.state().params());
        assertArrayEquals(plain.ema(), result.state().ema());
        assertArrayEquals(plain.optimizerState(), result.state().sharedState());
    }

    /**
     * Every float is summed on its own, in partition order: one slice, seven slices and two rounds give the same
     * floats bit for bit; the tree (which merges in completion order, also compensated) agrees to float rounding.
     */
    @Test
    void theSliceCountChangesNothingAndTheTreeAgrees() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(true);
        var one = run(PARTS, obj, c, 2, sliced(1, 1));
        var seven = run(PARTS, obj, c, 2, sliced(7, 3));
        assertArrayEquals(one.state().params(), seven.state().params());
        assertArrayEquals(one.state().sharedState(), seven.state().sharedState());
        assertArrayEquals(one.state().ema(), seven.state().ema());
        var tree = run(PARTS, obj, c, 2, null);
        assertArrayEquals(tree.state().params(), seven.state().params(), MEAN_TOL);
        assertArrayEquals(tree.state().sharedState(), seven.state().sharedState(), MEAN_TOL);
    }

    /** Own optimizer states travel through the slices unsummed: the same states as the tree, bit for bit. */
    @Test
    void ownStatesComeBackWhole() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(false);
        var tree = run(PARTS, obj, c, 2, null);
        var sliced = run(PARTS, obj, c, 2, sliced(3, 2));
        assertEquals(tree.state().partitionStates().keySet(), sliced.state().partitionStates().keySet());
        for (int p : tree.state().partitionStates().keySet()) {
            assertArrayEquals(tree.state().partitionStates().get(p), sliced.state().partitionStates().get(p), "partition " + p);
        }
        assertArrayEquals(tree.state().params(), sliced.state().params(), MEAN_TOL);
    }

    /** A training task failing in its first attempt (after its first step) is retried to the same floats. */
    @Test
    void aRetriedTaskChangesNothing() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(true);
        var clean = run(PARTS, obj, c, 2, sliced(5, 2));
        FaultInjection.FailingObjective.budget = new FaultInjection.Budget(1);
        var retried = run(PARTS, new FaultInjection.FailingObjective(obj, 2, 2), c, 2, sliced(5, 2));
        assertEquals(1, FaultInjection.FailingObjective.budget.thrown(), "the failure was injected");
        assertArrayEquals(clean.state().params(), retried.state().params());
        assertArrayEquals(clean.state().sharedState(), retried.state().sharedState());
        assertArrayEquals(clean.state().ema(), retried.state().ema());
        assertEquals(clean.summary().totalImages(), retried.summary().totalImages());
    }

    /** An empty partition only adds its time; the others are averaged as without it. */
    @Test
    void anEmptyPartitionIsSkipped() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = config(true);
        Shard empty = new Shard(new float[0], null, D);
        var with = run(List.of(PARTS.get(0), empty, PARTS.get(2)), obj, c, 1, sliced(3, 3));
        assertEquals(2, with.summary().rounds().get(0).partitions());
        assertEquals(3L * (4 + 4), with.summary().rounds().get(0).images());
    }

    /**
     * Partition 0's third gradient has a NaN at weight 7 (finite loss): the driver's check of the assembled slices
     * names weight 7 of the whole vector, and the round is not kept.
     */
    @Test
    void aNonFiniteWeightInOneSliceIsCaughtAndNamed() {
        Objective obj = new ToyDenoisingObjective(D);
        TrainingConfig c = new TrainingConfig(4, 3, 0.05, 0, 0, new Optimizer.Sgd(), 0, 0, true, 1234);
        DivergenceTest.PoisonedObjective.BUDGET.set(1);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> run(PARTS,
                new DivergenceTest.PoisonedObjective(obj, false, 3), c, 2, sliced(5, 2)));
        assertEquals(0, e.round());
        assertTrue(e.getMessage().contains("weight 7 of " + obj.numParameters() + " is NaN"), e.getMessage());
    }

    private static float[] mean(double[] sum, long images) {
        float[] out = new float[sum.length];
        for (int i = 0; i < sum.length; i++) {
            out[i] = (float) (sum[i] / images);
        }
        return out;
    }
}
