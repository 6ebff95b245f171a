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

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AttentionTest {

    @ParameterizedTest
    @CsvSource({"1, 2, 5", "2, 4, 3", "1, 3, 3"})
    void referenceBackwardMatchesFiniteDifferences(int n, int c, int p) {
        SplittableRandom rng = new SplittableRandom(51);
        double[] qkv = randn(rng, n * 3 * c * p);
        double[] dOut = randn(rng, n * c * p);
        assertClose(numericGradient(v -> dot(dOut, Reference.attentionForward(v, n, c, p)), qkv),
                Reference.attentionBackward(dOut, qkv, n, c, p), FD_TOLERANCE, "dqkv");
    }

    /** Positions P both above and below the channel count C, including the network's 7x7 x 64 case. */
    @ParameterizedTest
    @CsvSource({"1, 2, 5", "2, 4, 3", "2, 8, 49", "3, 16, 4", "2, 64, 49"})
    void fastKernelsMatchReference(int n, int c, int p) {
        SplittableRandom rng = new SplittableRandom(52);
        double[] qkv = floatRounded(randn(rng, n * 3 * c * p));
        double[] dOut = floatRounded(randn(rng, n * c * p));
        double[] d0 = floatRounded(randn(rng, qkv.length));
        float[] qkvf = guarded(qkv);
        float[] out = guardedFilled(n * c * p, Float.NaN);
        float[] probs = guardedFilled(n * p * p, Float.NaN);
        Attention.Geometry geo = new Attention.Geometry(n, c, p);
        Attention.forward(geo, view(qkvf), view(out), view(probs), true);
        assertGuardedClose(Reference.attentionForward(qkv, n, c, p), out, FLOAT_TOLERANCE, "out");
        float[] dqkv = guarded(d0);
        Attention.backward(geo, view(guarded(dOut)), view(qkvf), view(probs), view(dqkv), new float[p * p]);
        assertGuardedClose(plus(d0, Reference.attentionBackward(dOut, qkv, n, c, p)), dqkv, FLOAT_TOLERANCE, "dqkv");
        float[] outScratch = guardedFilled(n * c * p, Float.NaN);
        Attention.forward(geo, view(qkvf), view(outScratch), new Tensor(new float[p * p], Shape.of(p, p)), false);
        assertGuardedClose(Reference.attentionForward(qkv, n, c, p), outScratch, FLOAT_TOLERANCE,
                "out with shared probs scratch");
    }

    /** Views smaller than the geometry, and a scratch smaller than P*P, are refused before any work. */
    @org.junit.jupiter.api.Test
    void refusesViewsSmallerThanTheGeometry() {
        Attention.Geometry geo = new Attention.Geometry(2, 4, 3); // qkv 72, out 24, probs 9 per image
        Tensor qkv = new Tensor(new float[72], Shape.of(72));
        Tensor out = new Tensor(new float[24], Shape.of(24));
        var e = assertThrows(IllegalArgumentException.class, () -> Attention.forward(geo,
                new Tensor(new float[71], Shape.of(71)), out, new Tensor(new float[18], Shape.of(18)), true));
        assertTrue(e.getMessage().contains("qkv, a view of [N, 3C, P]: expected 72 floats, got 71"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.forward(geo, qkv, out, new Tensor(new float[9], Shape.of(9)), true));
        assertTrue(e.getMessage().contains("expected 18 floats, got 9"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.backward(geo, out, qkv,
                new Tensor(new float[18], Shape.of(18)), qkv, new float[8]));
        assertTrue(e.getMessage().contains("scratch: expected 9 floats, got 8"), e.getMessage());
    }
}
