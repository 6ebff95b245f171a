package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.optim.Optimizer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The learning rate per step: linear warm-up, then constant or a half cosine, by hand. */
class LearningRateTest {
    private static final double TOL = 1e-15;

    private static TrainingConfig config(long warmup, long cosineSteps) {
        return new TrainingConfig(4, 1, 0.1, warmup, 0, new Optimizer.Sgd(), 0, 0, true, 1, OuterOptimizer.AVERAGE, 0,
                SyncMode.WEIGHTS, cosineSteps);
    }

    @Test
    void warmUpThenConstant() {
        TrainingConfig c = config(4, 0);
        assertEquals(0.025, c.learningRateAt(1), TOL);
        assertEquals(0.075, c.learningRateAt(3), TOL);
        assertEquals(0.1, c.learningRateAt(4), TOL);
        assertEquals(0.1, c.learningRateAt(1000), TOL);
    }

    @Test
    void warmUpTimesAHalfCosineOverTheRun() {
        TrainingConfig c = config(2, 4);
        // step 1: warm-up 1/2, cosine at 0 -> 1
        assertEquals(0.05, c.learningRateAt(1), TOL);
        // step 2: warm-up done, cos(pi / 4) = sqrt(2) / 2 -> (1 + 0.70710678...) / 2
        assertEquals(0.1 * (1 + Math.sqrt(0.5)) / 2, c.learningRateAt(2), TOL);
        // step 3: cos(pi / 2) = 0 -> one half
        assertEquals(0.05, c.learningRateAt(3), 1e-12);
        // step 4, the last: (1 + cos(3 pi / 4)) / 2 = (1 - sqrt(2) / 2) / 2
        assertEquals(0.1 * (1 - Math.sqrt(0.5)) / 2, c.learningRateAt(4), 1e-12);
        // past the end: 0
        assertEquals(0.0, c.learningRateAt(5), 1e-12);
        assertEquals(0.0, c.learningRateAt(50), 1e-12);
        assertEquals(4, c.withLearningRate(0.2).cosineSteps());
        assertEquals(7, c.withCosineSteps(7).cosineSteps());
        assertThrows(IllegalArgumentException.class, () -> config(2, -1));
    }
}
