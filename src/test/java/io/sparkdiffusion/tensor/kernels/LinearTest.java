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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LinearTest {

    @ParameterizedTest
    @CsvSource({"1, 3, 2", "4, 5, 3", "3, 1, 6"})
    void referenceBackwardMatchesFiniteDifferences(int n, int in, int out) {
        SplittableRandom rng = new SplittableRandom(21);
        double[] x = randn(rng, n * in);
        double[] w = randn(rng, out * in);
        double[] b = randn(rng, out);
        double[] dy = randn(rng, n * out);
        double[][] g = Reference.linearBackward(dy, x, w, n, in, out);
        assertClose(numericGradient(v -> dot(dy, Reference.linearForward(v, w, b, n, in, out)), x), g[0],
                FD_TOLERANCE, "dx");
        assertClose(numericGradient(v -> dot(dy, Reference.linearForward(x, v, b, n, in, out)), w), g[1],
                FD_TOLERANCE, "dw");
        assertClose(numericGradient(v -> dot(dy, Reference.linearForward(x, w, v, n, in, out)), b), g[2],
                FD_TOLERANCE, "db");
    }

    @ParameterizedTest
    @CsvSource({"1, 3, 2", "64, 32, 128", "7, 128, 128", "5, 10, 32"})
    void fastKernelsMatchReference(int n, int in, int out) {
        SplittableRandom rng = new SplittableRandom(22);
        double[] x = floatRounded(randn(rng, n * in));
        double[] w = floatRounded(randn(rng, out * in));
        double[] b = floatRounded(randn(rng, out));
        double[] dy = floatRounded(randn(rng, n * out));
        double[] dx0 = floatRounded(randn(rng, x.length));
        double[] dw0 = floatRounded(randn(rng, w.length));
        double[] db0 = floatRounded(randn(rng, b.length));
        float[] y = guardedFilled(n * out, Float.NaN);
        Linear.Geometry geo = new Linear.Geometry(n, in, out);
        Linear.forward(geo, view(guarded(x)), view(guarded(w)), view(guarded(b)), view(y),
                new float[Linear.scratchSize(geo)]);
        assertGuardedClose(Reference.linearForward(x, w, b, n, in, out), y, FLOAT_TOLERANCE, "y");
        float[] dx = guarded(dx0);
        float[] dw = guarded(dw0);
        float[] db = guarded(db0);
        Linear.backward(geo, view(guarded(dy)), view(guarded(x)), view(guarded(w)), view(dx), view(dw), view(db));
        double[][] g = Reference.linearBackward(dy, x, w, n, in, out);
        assertGuardedClose(plus(dx0, g[0]), dx, FLOAT_TOLERANCE, "dx");
        assertGuardedClose(plus(dw0, g[1]), dw, FLOAT_TOLERANCE, "dw");
        assertGuardedClose(plus(db0, g[2]), db, FLOAT_TOLERANCE, "db");
        float[] yNoBias = guardedFilled(n * out, Float.NaN);
        Linear.forward(geo, view(guarded(x)), view(guarded(w)), null, view(yNoBias),
                new float[Linear.scratchSize(geo)]);
        assertGuardedClose(Reference.linearForward(x, w, null, n, in, out), yNoBias, FLOAT_TOLERANCE, "y no bias");
    }

    /** A row's output has the same bits alone and at any position of a larger batch (sampling relies on it). */
    @Test
    void forwardIsBatchInvariant() {
        int in = 128;
        int out = 64;
        int n = 9;
        SplittableRandom rng = new SplittableRandom(23);
        float[] x = guarded(floatRounded(randn(rng, n * in)));
        float[] w = guarded(floatRounded(randn(rng, out * in)));
        float[] b = guarded(floatRounded(randn(rng, out)));
        float[] all = new float[n * out];
        Linear.Geometry batch = new Linear.Geometry(n, in, out);
        Linear.forward(batch, view(x), view(w), view(b), new Tensor(all, Shape.of(n * out)),
                new float[Linear.scratchSize(batch)]);
        Linear.Geometry single = new Linear.Geometry(1, in, out);
        for (int r = 0; r < n; r++) {
            float[] one = new float[out];
            Linear.forward(single, new Tensor(x, GUARD + r * in, Shape.of(in)), view(w), view(b),
                    new Tensor(one, Shape.of(out)), new float[Linear.scratchSize(single)]);
            assertArrayEquals(Arrays.copyOfRange(all, r * out, (r + 1) * out), one, "row " + r);
        }
    }

    @Test
    void refusesViewsSmallerThanTheGeometry() {
        Linear.Geometry geo = new Linear.Geometry(2, 3, 4);
        Tensor x = new Tensor(new float[6], Shape.of(6));
        Tensor w = new Tensor(new float[12], Shape.of(12));
        Tensor y = new Tensor(new float[8], Shape.of(8));
        float[] scratch = new float[12];
        var e = assertThrows(IllegalArgumentException.class,
                () -> Linear.forward(geo, x, new Tensor(new float[11], Shape.of(11)), null, y, scratch));
        assertTrue(e.getMessage().contains("weight, a view of [out, in]: expected 12 floats, got 11"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Linear.forward(geo, x, w, new Tensor(new float[3], Shape.of(3)), y, scratch));
        assertTrue(e.getMessage().contains("bias, a view of [out]: expected 4 floats, got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Linear.forward(geo, x, w, null, y, new float[11]));
        assertTrue(e.getMessage().contains("scratch: expected 12 floats (in * out), got 11"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Linear.backward(geo, y, x, w, new Tensor(new float[5], Shape.of(5)), null, null));
        assertTrue(e.getMessage().contains("dx, a view of [N, in]: expected 6 floats, got 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Linear.Geometry(2, 0, 4));
        assertTrue(e.getMessage().contains("got n 2, in 0, out 4"), e.getMessage());
    }
}
