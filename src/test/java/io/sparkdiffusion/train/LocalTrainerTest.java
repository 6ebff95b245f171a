package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.optim.Optimizer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalTrainerTest {
    private static final int D = 6;
    private static final double FD_STEP = 1e-3;
    private static final double FD_TOL = 2e-3;

    static TrainingConfig config(Optimizer optimizer, int batchSize, int localSteps) {
        return new TrainingConfig(batchSize, localSteps, 0.01, 0, 0, optimizer, 0, 0, true, 11);
    }

    @Test
    void batchIndicesAreDistinctAndCoverSmallShards() {
        int[] idx = LocalTrainer.batchIndices(10, 4, new SplittableRandom(1));
        assertEquals(4, idx.length);
        assertEquals(4, Arrays.stream(idx).distinct().count());
        assertTrue(Arrays.stream(idx).allMatch(i -> i >= 0 && i < 10));
        assertArrayEquals(new int[] {0, 1, 2}, LocalTrainer.batchIndices(3, 4, new SplittableRandom(1)));
    }

    /** The toy objective's gradient against central finite differences (in double, on the same random draws). */
    @Test
    void toyObjectiveGradientMatchesFiniteDifferences() {
        var obj = new ToyDenoisingObjective(D);
        Batch batch = ToyData.shard(3, D, 0, 5).select(new int[] {0, 1, 2});
        float[] p = new float[obj.numParameters()];
        obj.initialize(p, 3);
        float[] g = new float[p.length];
        obj.lossAndGradient(p, g, batch, new SplittableRandom(9));
        for (int i = 0; i < p.length; i++) {
            float[] plus = p.clone();
            float[] minus = p.clone();
            plus[i] += (float) FD_STEP;
            minus[i] -= (float) FD_STEP;
            double lp = obj.lossAndGradient(plus, new float[p.length], batch, new SplittableRandom(9));
            double lm = obj.lossAndGradient(minus, new float[p.length], batch, new SplittableRandom(9));
            assertEquals((lp - lm) / (plus[i] - minus[i]), g[i], FD_TOL, "param " + i);
        }
    }

    @Test
    void runIsAPureFunctionOfItsInputs() {
        var obj = new ToyDenoisingObjective(D);
        Shard shard = ToyData.shard(20, D, 0, 1);
        float[] p = new float[obj.numParameters()];
        obj.initialize(p, 2);
        float[] state = new float[2 * p.length];
        TrainingConfig c = config(new Optimizer.Adam(0.9, 0.999, 1e-8), 4, 5);
        PartitionResult a = LocalTrainer.run(obj, c, shard, 3, p, state, 10, 5);
        PartitionResult b = LocalTrainer.run(obj, c, shard, 3, p, state, 10, 5);
        assertArrayEquals(a.params(), b.params());
        assertArrayEquals(a.optimizerState(), b.optimizerState());
        assertEquals(20, a.images());
        assertNotEquals(Arrays.hashCode(p), Arrays.hashCode(a.params()), "weights moved");
        PartitionResult other = LocalTrainer.run(obj, c, shard, 4, p, state, 10, 5);
        assertTrue(!Arrays.equals(a.params(), other.params()), "another partition draws other batches and noise");
    }

    @Test
    void emptyShardTrainsOnNothing() {
        var obj = new ToyDenoisingObjective(D);
        float[] p = new float[obj.numParameters()];
        PartitionResult r = LocalTrainer.run(obj, config(new Optimizer.Sgd(), 4, 3), new Shard(new float[0], null, D), 0,
                p, new float[0], 0, 3);
        assertEquals(0, r.images());
        assertArrayEquals(p, r.params());
    }

    @Test
    void divergenceIsReportedWithTheStep() {
        Objective toy = new ToyDenoisingObjective(D);
        Objective nan = new Objective() {
            @Override
            public int numParameters() {
                return toy.numParameters();
            }

            @Override
            public void initialize(float[] params, long seed) {
                toy.initialize(params, seed);
            }

            @Override
            public double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom random) {
                return Double.NaN;
            }
        };
        // In a task, divergence is reported (a NaN loss sum) for the driver to discard the round: a retry would
        // only repeat it.
        PartitionResult r = LocalTrainer.run(nan, config(new Optimizer.Sgd(), 2, 1), ToyData.shard(4, D, 0, 1), 1,
                new float[2 * D], new float[0], 7, 3);
        assertTrue(Double.isNaN(r.lossSum()) && r.images() > 0, "reported, after the first step");
        // A single step (the plain local loop) throws, naming the step and partition.
        var e = assertThrows(IllegalStateException.class, () -> LocalTrainer.step(nan, config(new Optimizer.Sgd(), 2, 1),
                ToyData.shard(4, D, 0, 1), 1, new float[2 * D], new float[2 * D],
                new Optimizer.Sgd().resume(new float[0], 7, 2 * D, 0.1), 7));
        assertTrue(e.getMessage().contains("step 7") && e.getMessage().contains("partition 1"), e.getMessage());
    }
}
