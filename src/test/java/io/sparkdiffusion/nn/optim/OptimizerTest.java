package io.sparkdiffusion.nn.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerTest {
    private static final float TOL = 1e-6f;

    @Test
    void sgdSubtractsScaledGradient() {
        float[] p = {1f, -2f};
        Optimizer.Stepper s = new Optimizer.Sgd().resume(new float[0], 0, 2, 0.1);
        s.stepInPlace(p, new float[] {0.5f, -1f}, 0.1);
        assertArrayEquals(new float[] {0.95f, -1.9f}, p, TOL);
        assertEquals(0, s.state().length);
    }

    /**
     * Two Adam steps by hand (beta1 0.9, beta2 0.999, eps 1e-8, lr 0.1) on one parameter with gradients 1 then -1:
     * step 1: m = 0.1, v = 0.001, mhat = 1, vhat = 1, p = 1 - 0.1 = 0.9;
     * step 2: m = 0.09 - 0.1 = -0.01, v = 0.000999 + 0.001 = 0.001999, mhat = -0.01 / 0.19, vhat = 0.001999 / 0.001999,
     * p = 0.9 + 0.1 * (0.01 / 0.19) / sqrt(0.001999 / 0.001999) = 0.9 + 0.0052631...
     */
    @Test
    void adamMatchesHandCalculationAndResumesFromState() {
        Optimizer adam = new Optimizer.Adam(0.9, 0.999, 1e-8);
        float[] p = {1f};
        Optimizer.Stepper s = adam.resume(new float[2], 0, 1, 0.1);
        s.stepInPlace(p, new float[] {1f}, 0.1);
        assertEquals(0.9f, p[0], TOL);
        float[] state = s.state();
        assertArrayEquals(new float[] {0.1f, 0.001f}, state, TOL);
        // A fresh stepper resumed from the saved state continues where the first one stopped.
        Optimizer.Stepper resumed = adam.resume(state, 1, 1, 0.1);
        resumed.stepInPlace(p, new float[] {-1f}, 0.1);
        double vhat = 0.001999 / (1 - 0.999 * 0.999);
        double expected = 0.9 - 0.1 * (-0.01 / 0.19) / (Math.sqrt(vhat) + 1e-8);
        assertEquals(expected, p[0], TOL);
        assertEquals(2, adam.stateSize(1));
    }

    @Test
    void parseNamesTheAllowedValues() {
        assertTrue(Optimizer.parse("SGD", 0.9, 0.99, 1e-8) instanceof Optimizer.Sgd);
        var e = assertThrows(IllegalArgumentException.class, () -> Optimizer.parse("rmsprop", 0.9, 0.99, 1e-8));
        assertTrue(e.getMessage().contains("adam, sgd") && e.getMessage().contains("rmsprop"), e.getMessage());
    }
}
