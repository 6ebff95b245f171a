package io.sparkdiffusion.nn.classifier;

import io.sparkdiffusion.train.Batch;
import io.sparkdiffusion.train.ClassifierObjective;
import io.sparkdiffusion.train.LocalTrainingLoop;
import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.TrainingConfig;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The feature classifier: its size, its gradient, and that the engine trains it. */
class FeatureCnnTest {
    /**
     * Central differences in float32 with step {@link #STEP}: the loss changes by ~1e-3 per step and float rounding
     * of the forward pass is ~1e-7 relative, so a few percent of the largest gradient entry is the resolution.
     */
    static final double FD_TOLERANCE = 0.03;
    static final float STEP = 1e-2f;
    private static final FeatureCnnConfig TINY = new FeatureCnnConfig(1, 8, 4, 6, 3);

    @Test
    void parameterCountMatchesTheHandCount() {
        // conv0 4*1*9 + 4 = 40; conv1 8*4*9 + 8 = 296; conv2 16*8*9 + 16 = 1168; 8 -> 4 -> 2, so the flattened
        // map has 16*2*2 = 64 values: features 64*6 + 6 = 390; head 6*3 + 3 = 21. Total 1915.
        assertEquals(1915, new FeatureCnn(TINY, 0).numParameters());
        assertEquals(2, TINY.lastResolution());
        assertEquals(7, new FeatureCnnConfig(1, 28, 4, 6, 10).lastResolution()); // 28 -> 14 -> 7
        assertEquals(2, new FeatureCnnConfig(1, 5, 4, 6, 10).lastResolution()); // 5 -> 3 -> 2
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        ClassifierObjective objective = new ClassifierObjective(TINY);
        float[] params = new float[objective.numParameters()];
        objective.initialize(params, 3);
        Batch batch = new Batch(images(new SplittableRandom(4), 5), new int[] {0, 1, 2, 1, 0}, 64);
        float[] grads = new float[params.length];
        objective.lossAndGradient(params, grads, batch, new SplittableRandom(0));
        double max = 0;
        for (float g : grads) {
            max = Math.max(max, Math.abs(g));
        }
        // Entries of every layer: conv0, conv1, conv2, features, head (offsets from the hand count above).
        for (int i : new int[] {0, 39, 100, 335, 500, 1207, 1500, 1896, 1914}) {
            float old = params[i];
            params[i] = old + STEP;
            double up = objective.lossAndGradient(params, new float[params.length], batch, new SplittableRandom(0));
            params[i] = old - STEP;
            double down = objective.lossAndGradient(params, new float[params.length], batch, new SplittableRandom(0));
            params[i] = old;
            double fd = (up - down) / (2 * STEP);
            assertEquals(fd, grads[i], FD_TOLERANCE * max, "d loss / d param " + i);
        }
    }

    @Test
    void theEngineTrainsItToSeparateThreeSimpleClasses() {
        int n = 300;
        float[] x = ThreeShapes.images(n, 5, 0.3, 0, 1, 2);
        int[] y = ThreeShapes.labels(n, 0, 1, 2);
        TrainingConfig config = new TrainingConfig(32, 10, 3e-3, 0, 0, new Optimizer.Adam(0.9, 0.999, 1e-8), 0, 0,
                true, 1);
        LocalTrainingLoop.Result result = LocalTrainingLoop.run(new ClassifierObjective(TINY), config,
                new Shard(x, y, 64), 150);
        double[] losses = result.stepLosses();
        assertTrue(losses[losses.length - 1] < 0.3 * losses[0], "loss " + losses[0] + " -> " + losses[losses.length - 1]);
        FeatureExtractor extractor = new FeatureExtractor(TINY, result.params());
        int correct = 0;
        float[] features = new float[6];
        for (int i = 0; i < n; i++) {
            correct += extractor.extract(x, i * 64, features, 0) == y[i] ? 1 : 0;
        }
        assertTrue(correct > 0.95 * n, correct + " of " + n + " right");
    }

    @Test
    void badInputIsRejectedWithTheReason() {
        ClassifierObjective objective = new ClassifierObjective(TINY);
        float[] params = new float[objective.numParameters()];
        IllegalArgumentException unlabelled = assertThrows(IllegalArgumentException.class, () -> objective
                .lossAndGradient(params, new float[params.length], new Batch(new float[64], null, 64),
                        new SplittableRandom(0)));
        assertEquals("the feature classifier trains on labelled images; this batch has none", unlabelled.getMessage());
        assertThrows(IllegalArgumentException.class, () -> objective.lossAndGradient(params,
                new float[params.length], new Batch(new float[49], new int[] {0}, 49), new SplittableRandom(0)));
        assertThrows(IllegalArgumentException.class, () -> new FeatureCnnConfig(1, 28, 8, 16, 1));
        FeatureExtractor e = new FeatureExtractor(TINY, params);
        assertThrows(IllegalArgumentException.class, () -> e.extract(new float[60], 0, new float[6], 0));
    }

    private static float[] images(SplittableRandom random, int n) {
        float[] x = new float[n * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
