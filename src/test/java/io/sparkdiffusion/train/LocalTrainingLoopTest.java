package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.optim.Optimizer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalTrainingLoopTest {
    private static final int D = 8;

    private static TrainingConfig config(int localSteps, boolean averageState) {
        return new TrainingConfig(4, localSteps, 0.02, 3, 1.0, new Optimizer.Adam(0.9, 0.99, 1e-8), 40, 0.5,
                averageState, 5);
    }

    @Test
    void lossDecreasesOnTheToyObjective() {
        var r = LocalTrainingLoop.run(new ToyDenoisingObjective(D), config(5, true), ToyData.shard(32, D, 0, 1), 300);
        double first = mean(r.stepLosses(), 0, 30);
        double last = mean(r.stepLosses(), 270, 300);
        assertTrue(last < 0.7 * first, "loss " + first + " -> " + last);
    }

    /**
     * The round machinery with one partition (broadcast state in, weighted sum, divide, EMA) reproduces the plain
     * loop bit for bit, whether the optimizer state is averaged or kept per partition.
     */
    @Test
    void roundsOfOnePartitionEqualThePlainLoop() {
        for (boolean averageState : new boolean[] {true, false}) {
            TrainingConfig c = config(4, averageState);
            Objective obj = new ToyDenoisingObjective(D);
            Shard shard = ToyData.shard(10, D, 0, 2);
            var plain = LocalTrainingLoop.run(obj, c, shard, 12);
            TrainingState state = TrainingState.initial(obj, c);
            for (int r = 0; r < 3; r++) {
                RoundStart s = state.roundStart();
                PartitionResult pr = LocalTrainer.run(obj, c, shard, 0, s.params(), s.stateFor(0), s.startStep(), 4);
                state.finishRound(new WeightedSum(averageState).add(pr), c);
            }
            assertArrayEquals(plain.params(), state.params());
            assertArrayEquals(plain.ema(), state.ema());
            float[] st = averageState ? state.sharedState() : state.partitionStates().get(0);
            assertArrayEquals(plain.optimizerState(), st);
        }
    }

    private static double mean(double[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += a[i];
        }
        return s / (to - from);
    }
}
