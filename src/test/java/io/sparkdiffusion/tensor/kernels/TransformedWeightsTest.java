package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.GUARD;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertGuardedClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guarded;
import static io.sparkdiffusion.tensor.kernels.Numerics.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Winograd's forward with kept transformed weights: right against the reference, transformed once, never stale. */
class TransformedWeightsTest {
    /** As WinogradTest's: the transforms' rounding on top of the direct sum's. */
    private static final double TOLERANCE = 5e-5;

    /** 9 images: a set of 8 in lanes on AVX2 and one by tile rows; channels that are not multiples of 4 or 16. */
    private static final Conv2d.Geometry G = new Conv2d.Geometry(9, 17, 14, 13, 18, 3, 3, 1, 1);

    private final SplittableRandom rng = new SplittableRandom(41);
    private final double[] x = floatRounded(randn(rng, G.n() * G.cin() * G.h() * G.w()));
    private final double[] b = floatRounded(randn(rng, G.cout()));

    @Test
    void aSecondPassReusesTheTransformAndGivesTheSameBits() {
        double[] w = floatRounded(randn(rng, G.cout() * G.k()));
        float[] wf = guarded(w);
        TransformedWeights kept = new TransformedWeights(1 << 20);
        float[] first = forward(wf, kept);
        assertGuardedClose(Reference.conv2dForward(G, x, w, b), first, TOLERANCE, "y with kept weights");
        float[] second = forward(wf, kept);
        assertEquals(1, kept.transforms(), "the second pass must use the weights transformed by the first");
        assertArrayEquals(first, second, "a pass with kept weights must give the first pass's bits");
        assertArrayEquals(forward(wf, null), second, "kept weights must give the bits of transforming them again");
        long size = G.cout() * G.k() + Winograd.forwardWeightsSize(G);
        assertEquals(size, kept.heldFloats(), "one layer's raw copy and transformed weights");
    }

    @Test
    void weightsChangedInPlaceAreTransformedAgain() {
        double[] w = floatRounded(randn(rng, G.cout() * G.k()));
        float[] wf = guarded(w);
        TransformedWeights kept = new TransformedWeights(1 << 20);
        forward(wf, kept);
        // One kernel value of the last output channel, as loading the next model into the same array would.
        int last = w.length - 1;
        w[last] = (float) (w[last] + 0.5);
        wf[GUARD + last] = (float) w[last];
        float[] y = forward(wf, kept);
        assertEquals(2, kept.transforms(), "a changed weight must be transformed again");
        assertGuardedClose(Reference.conv2dForward(G, x, w, b), y, TOLERANCE, "y after the weights changed");
    }

    @Test
    void aLayerLargerThanTheBudgetIsTransformedOnEveryCall() {
        double[] w = floatRounded(randn(rng, G.cout() * G.k()));
        TransformedWeights kept = new TransformedWeights(G.cout() * G.k());
        float[] y = forward(guarded(w), kept);
        assertGuardedClose(Reference.conv2dForward(G, x, w, b), y, TOLERANCE, "y without room to keep");
        assertEquals(0, kept.transforms(), "nothing kept");
        assertEquals(0, kept.heldFloats(), "nothing kept");
    }

    @Test
    void aLayerThatDoesNotFitBesideTheKeptOnesIsTransformedOnEveryCall() {
        long size = G.cout() * G.k() + Winograd.forwardWeightsSize(G);
        TransformedWeights kept = new TransformedWeights(size + size / 2);
        double[] w1 = floatRounded(randn(rng, G.cout() * G.k()));
        double[] w2 = floatRounded(randn(rng, G.cout() * G.k()));
        float[] w1f = guarded(w1);
        float[] w2f = guarded(w2);
        forward(w1f, kept);
        float[] y2 = forward(w2f, kept);
        assertGuardedClose(Reference.conv2dForward(G, x, w2, b), y2, TOLERANCE, "y of the second layer");
        assertEquals(size, kept.heldFloats(), "only the first layer kept");
        float[] y1 = forward(w1f, kept);
        assertEquals(1, kept.transforms(), "the first layer kept, the second transformed outside the cache");
        assertGuardedClose(Reference.conv2dForward(G, x, w1, b), y1, TOLERANCE, "y of the first layer again");
    }

    @Test
    void aNegativeBudgetIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TransformedWeights(-1));
        assertTrue(e.getMessage().contains("expected 0 or more floats, got -1"), e.getMessage());
    }

    private float[] forward(float[] w, TransformedWeights kept) {
        float[] y = Numerics.guardedFilled(G.n() * G.cout() * G.h() * G.w(), Float.NaN);
        float[] scratch = new float[Math.toIntExact(Winograd.scratchSize(G))];
        java.util.Arrays.fill(scratch, Float.NaN);
        Winograd.forward(G, guarded(x), GUARD, w, GUARD, guarded(b), GUARD, y, GUARD, scratch, kept);
        return y;
    }
}
