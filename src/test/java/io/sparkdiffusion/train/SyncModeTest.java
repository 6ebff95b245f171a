package io.sparkdiffusion.train;

import io.sparkdiffusion.diffusion.ParameterizationKind;
import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.nn.unet.UNetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pieces of {@link SyncMode#GRADIENTS} without Spark: the settings it refuses, the driver's step by hand, the
 * per-row draws of the objective, and one partition's part of a step.
 */
class SyncModeTest {
    /** A batch-mean of per-row gradients against the mean of their single-row gradients: float rounding only. */
    private static final float ROW_TOL = 1e-6f;

    private static TrainingConfig config(int localSteps, int globalBatchSize, boolean averageState, OuterOptimizer outer,
                                         Optimizer optimizer, double gradClip) {
        return new TrainingConfig(4, localSteps, 0.1, 0, gradClip, optimizer, 0, 0, averageState, 3, outer,
                globalBatchSize, SyncMode.GRADIENTS);
    }

    private static String refusal(int localSteps, int globalBatchSize, boolean averageState, OuterOptimizer outer) {
        return assertThrows(IllegalArgumentException.class, () -> config(localSteps, globalBatchSize, averageState,
                outer, new Optimizer.Sgd(), 0)).getMessage();
    }

    @Test
    void settingsThatDoNotFitAreRefusedWithWhatToSet() {
        assertTrue(refusal(20, 8, true, OuterOptimizer.AVERAGE).contains("set localSteps to 1, got 20"));
        assertTrue(refusal(1, 0, true, OuterOptimizer.AVERAGE).contains("set globalBatchSize"));
        assertTrue(refusal(1, 8, false, OuterOptimizer.AVERAGE).contains("set averageOptimizerState to true"));
        assertTrue(refusal(1, 8, true, new OuterOptimizer.Nesterov(0.7, 0.9))
                .contains("outerOptimizer nesterov applies to syncMode weights"));
        TrainingConfig fits = config(1, 8, true, OuterOptimizer.AVERAGE, new Optimizer.Sgd(), 0);
        var local = assertThrows(IllegalArgumentException.class, () -> LocalTrainingLoop.run(
                new ToyDenoisingObjective(4), fits, ToyData.shard(4, 4, 0, 1), 1));
        assertTrue(local.getMessage().contains("this local loop trains with syncMode weights"), local.getMessage());
        var e = assertThrows(IllegalArgumentException.class, () -> SyncMode.parse("grads"));
        assertEquals("syncMode must be one of [weights, gradients], got 'grads'", e.getMessage());
        assertEquals(SyncMode.GRADIENTS, SyncMode.parse(" Gradients "));
    }

    /** A result of the reduction holding a given mean gradient. */
    private static RoundResult meanGradient(float[] g) {
        WeightedSum sum = new WeightedSum(true);
        sum.add(new PartitionResult(0, g, new float[0], 4, 2.0, 0));
        return sum;
    }

    @Test
    void theDriverStepIsOneClippedOptimizerStepByHand() {
        // SGD, rate 0.1, clip 1: gradient (3, 4) has norm 5, clipped to (0.6, 0.8) (up to the clip's epsilon).
        TrainingConfig sgd = config(1, 4, true, OuterOptimizer.AVERAGE, new Optimizer.Sgd(), 1.0);
        TrainingState s = new TrainingState(new float[] {1f, 2f}, new float[] {1f, 2f}, new float[0], Map.of(), 0, 0, 0,
                0);
        RoundResult r = s.gradientStep(meanGradient(new float[] {3f, 4f}), sgd);
        assertArrayEquals(new float[] {1f - 0.06f, 2f - 0.08f}, r.meanParams(), 1e-6f);
        assertEquals(4, r.images());
        assertEquals(0.5, r.meanLoss(), 0.0);
        assertArrayEquals(new float[] {1f, 2f}, s.params(), 0f); // the state itself is untouched

        // Adam's first step (bias-corrected m = g, v = g^2): each weight moves by rate * g / (|g| + eps).
        TrainingConfig adam = config(1, 4, true, OuterOptimizer.AVERAGE, new Optimizer.Adam(0.9, 0.999, 1e-8), 0);
        TrainingState a = new TrainingState(new float[] {1f, 2f}, new float[] {1f, 2f}, new float[4], Map.of(), 4, 0, 0,
                0);
        RoundResult ra = a.gradientStep(meanGradient(new float[] {-0.5f, 2f}), adam);
        assertArrayEquals(new float[] {1.1f, 1.9f}, ra.meanParams(), 1e-6f);
        // The new moments: m = (1 - 0.9) g, v = (1 - 0.999) g^2, in the state's layout (m then v).
        assertArrayEquals(new float[] {-0.05f, 0.2f, 0.00025f, 0.004f}, ra.meanOptimizerState(), 1e-7f);
    }

    /** Dropout included: with a probability of 0.3 each row draws its own masks, which the batch must not change. */
    @ParameterizedTest
    @ValueSource(floats = {0f, 0.3f})
    void eachRowDrawsFromItsOwnStreamWhateverItsNeighbours(float dropout) {
        UNetConfig tiny = TinyNets.tiny(2);
        UNetConfig spec = new UNetConfig(tiny.imgChannels(), tiny.imgResolution(), tiny.modelChannels(),
                tiny.channelMult(), tiny.numResBlocks(), tiny.attnResolutions(), tiny.numClasses(), dropout);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.FLOW.defaults(), 0.5);
        float[] w = new float[obj.numParameters()];
        obj.initialize(w, 1);
        Shard data = ToyData.shard(2, spec.imageSize(), 2, 5);
        Batch both = data.select(new int[] {0, 1});
        float[] g = new float[w.length];
        double loss = obj.lossAndGradient(w, g, both, new SplittableRandom[] {new SplittableRandom(11),
                new SplittableRandom(12)});
        float[] g0 = new float[w.length];
        float[] g1 = new float[w.length];
        double l0 = obj.lossAndGradient(w, g0, data.select(new int[] {0}), new SplittableRandom[] {
                new SplittableRandom(11)});
        double l1 = obj.lossAndGradient(w, g1, data.select(new int[] {1}), new SplittableRandom[] {
                new SplittableRandom(12)});
        // The batch loss is the mean of the rows' losses, and so is its gradient.
        assertEquals((l0 + l1) / 2, loss, 1e-6 * loss);
        float[] mean = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            mean[i] = (g0[i] + g1[i]) / 2;
        }
        assertArrayEquals(mean, g, ROW_TOL);
    }

    @Test
    void aPartitionsPartOfAStepIsItsGroupsDrawsInGroupOrder() {
        UNetConfig spec = TinyNets.tiny(0);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.FLOW.defaults(), 0);
        float[] w = new float[obj.numParameters()];
        obj.initialize(w, 1);
        Shard plain = ToyData.shard(5, spec.imageSize(), 0, 6);
        // Groups 3 (images 0..1) and 7 (images 2..4).
        Shard grouped = new Shard(plain.images(), null, plain.imageSize(), new int[] {3, 7}, new int[] {0, 2, 5});
        TrainingConfig c = config(1, 8, true, OuterOptimizer.AVERAGE, new Optimizer.Sgd(), 0);
        PartitionResult r = LocalTrainer.gradient(obj, c, grouped, 1, w, 12);
        assertEquals(2, r.images());
        assertEquals(0, r.optimizerState().length);

        SplittableRandom r3 = new SplittableRandom(Seeds.groupStep(3, 12, 3));
        SplittableRandom r7 = new SplittableRandom(Seeds.groupStep(3, 12, 7));
        int i3 = r3.nextInt(2);
        int i7 = 2 + r7.nextInt(3);
        float[] g = new float[w.length];
        double loss = obj.lossAndGradient(w, g, plain.select(new int[] {i3, i7}), new SplittableRandom[] {r3, r7});
        assertArrayEquals(g, r.params(), 0f);
        assertEquals(2 * loss, r.lossSum(), 0.0);

        var e = assertThrows(IllegalArgumentException.class, () -> LocalTrainer.gradient(obj, c, plain, 0, w, 0));
        assertTrue(e.getMessage().contains("needs the images grouped"), e.getMessage());
    }

    @Test
    void groupsMustBeNonEmptyAndAscending() {
        float[] images = new float[3 * 4];
        assertThrows(IllegalArgumentException.class, () -> new Shard(images, null, 4, new int[] {1, 1},
                new int[] {0, 1, 3}));
        assertThrows(IllegalArgumentException.class, () -> new Shard(images, null, 4, new int[] {1, 2},
                new int[] {0, 0, 3}));
        assertThrows(IllegalArgumentException.class, () -> new Shard(images, null, 4, new int[] {1}, null));
        assertEquals(2, new Shard(images, null, 4, new int[] {1, 2}, new int[] {0, 1, 3}).groupIds().length);
    }
}
