package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.FD_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.FLOAT_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.GUARD;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertGuardedClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.dot;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guarded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guardedFilled;
import static io.sparkdiffusion.tensor.kernels.Numerics.numericGradient;
import static io.sparkdiffusion.tensor.kernels.Numerics.plus;
import static io.sparkdiffusion.tensor.kernels.Numerics.randn;
import static io.sparkdiffusion.tensor.kernels.Numerics.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Mse and Dropout. */
class LossAndDropoutTest {
    private final SplittableRandom rng = new SplittableRandom(71);

    @Test
    void mseMatchesHandCalculation() {
        // ((1-0)^2 + (2-4)^2 + (0-0)^2 + (-1-1)^2) / 4 = (1 + 4 + 0 + 4) / 4, read from offset 1
        float[] y = {9f, 1f, 2f, 0f, -1f};
        float[] t = {0f, 4f, 0f, 1f};
        assertEquals(9f / 4f, Mse.forward(new Mse.Geometry(2, 2), new Tensor(y, 1, Shape.of(4)), new Tensor(t, Shape.of(4)), null), 1e-7f);
        // weights [2, 0.5]: (2 * (1 + 4) + 0.5 * (0 + 4)) / 4
        assertEquals(12f / 4f, Mse.forward(new Mse.Geometry(2, 2),
                new Tensor(new float[] {1f, 2f, 0f, -1f}, Shape.of(4)), new Tensor(new float[] {0f, 4f, 0f, 1f},
                Shape.of(4)), new Tensor(new float[] {2f, 0.5f}, Shape.of(2))), 1e-7f);
    }

    @Test
    void mseRefusesViewsSmallerThanTheGeometry() {
        Mse.Geometry geo = new Mse.Geometry(2, 3);
        Tensor six = new Tensor(new float[6], Shape.of(6));
        var e = assertThrows(IllegalArgumentException.class,
                () -> Mse.forward(geo, six, new Tensor(new float[5], Shape.of(5)), null));
        assertTrue(e.getMessage().contains("target, a view of [N, M]: expected 6 floats, got 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Mse.forward(geo, six, six, new Tensor(new float[1], Shape.of(1))));
        assertTrue(e.getMessage().contains("weights, a view of [N]: expected 2 floats, got 1"), e.getMessage());
    }

    @Test
    void mseGradients() {
        int n = 3;
        double[] y = floatRounded(randn(rng, 12));
        double[] t = floatRounded(randn(rng, 12));
        double[] w = {0.5, 2.0, 1.5};
        for (double[] weight : new double[][] {null, w}) {
            double[] grad = Reference.mseBackward(1.0, y, t, weight, n);
            assertClose(numericGradient(v -> Reference.mseForward(v, t, weight, n), y), grad, FD_TOLERANCE,
                    "reference dy");
            Tensor wf = weight == null ? null : view(guarded(weight));
            Mse.Geometry geo = new Mse.Geometry(n, 4);
            assertEquals(Reference.mseForward(y, t, weight, n),
                    Mse.forward(geo, view(guarded(y)), view(guarded(t)), wf), FLOAT_TOLERANCE, "loss");
            double[] dy0 = floatRounded(randn(rng, 12));
            float[] dy = guarded(dy0);
            Mse.backward(geo, 0.5f, view(guarded(y)), view(guarded(t)), wf, view(dy));
            double[] half = Reference.mseBackward(0.5, y, t, weight, n);
            assertGuardedClose(plus(dy0, half), dy, FLOAT_TOLERANCE, "dy");
        }
    }

    @Test
    void dropoutKeepsAboutOneMinusPAndScales() {
        int count = 20000;
        float p = 0.25f;
        double[] x = floatRounded(randn(rng, count));
        double[] dy = floatRounded(randn(rng, count));
        float[] y = guardedFilled(count, Float.NaN);
        Dropout.forward(guarded(x), GUARD, y, GUARD, count, p, 99L);
        double[] expected = Reference.dropoutForward(x, p, 99L);
        assertGuardedClose(expected, y, FLOAT_TOLERANCE, "y");
        int kept = 0;
        for (boolean k : Reference.dropoutMask(count, p, 99L)) {
            kept += k ? 1 : 0;
        }
        // Binomial(20000, 0.75): standard deviation ~61, so 5 sigma is ~300.
        assertTrue(Math.abs(kept - 0.75 * count) < 300, "kept " + kept);
        double[] dx0 = floatRounded(randn(rng, count));
        float[] dx = guarded(dx0);
        Dropout.backward(guarded(dy), GUARD, dx, GUARD, count, p, 99L);
        assertGuardedClose(plus(dx0, Reference.dropoutBackward(dy, p, 99L)), dx, FLOAT_TOLERANCE, "dx");
        double[] small = randn(rng, 10);
        double[] smallDy = randn(rng, 10);
        assertClose(numericGradient(v -> dot(smallDy, Reference.dropoutForward(v, p, 5L)), small),
                Reference.dropoutBackward(smallDy, p, 5L), FD_TOLERANCE, "reference dx");
        assertThrows(IllegalArgumentException.class, () -> Dropout.forward(new float[1], 0, new float[1], 0, 1, 1f, 1L));
    }
}
