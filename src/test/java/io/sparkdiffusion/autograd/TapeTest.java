package io.sparkdiffusion.autograd;

import static io.sparkdiffusion.tensor.kernels.Numerics.assertClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.floats;
import static io.sparkdiffusion.tensor.kernels.Numerics.numericGradient;
import static io.sparkdiffusion.tensor.kernels.Numerics.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import io.sparkdiffusion.tensor.kernels.Conv2d;
import io.sparkdiffusion.tensor.kernels.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The tape on a small graph that uses every op: its gradients (float) against central differences of the same
 * graph built from the double-precision reference kernels.
 */
class TapeTest {
    /** Float gradients through ~10 ops against double finite differences, relative to max(1, |grad|). */
    private static final double GRAPH_TOLERANCE = 1e-4;
    private static final float EPS = 1e-5f;
    private static final int N = 2;

    /** Flat parameter buffer with named views, as engine-nn keeps them. */
    private static final class Params {
        final List<Shape> shapes = new ArrayList<>();
        final List<Integer> offsets = new ArrayList<>();
        int size;

        int add(int... dims) {
            shapes.add(Shape.of(dims));
            offsets.add(size);
            size += Shape.of(dims).size();
            return shapes.size() - 1;
        }

        Tensor view(float[] buffer, int i) {
            return new Tensor(buffer, offsets.get(i), shapes.get(i));
        }

        double[] slice(double[] buffer, int i) {
            return java.util.Arrays.copyOfRange(buffer, offsets.get(i), offsets.get(i) + shapes.get(i).size());
        }
    }

    private final Params p = new Params();
    private final int convW = p.add(6, 2, 3, 3);
    private final int convB = p.add(6);
    private final int gamma = p.add(6);
    private final int beta = p.add(6);
    private final int linW = p.add(6, 3);
    private final int linB = p.add(6);
    private final int skipW = p.add(3, 2, 1, 1);
    private final int downW = p.add(4, 6, 3, 3);

    private final Conv2d.Geometry conv = new Conv2d.Geometry(N, 2, 4, 4, 6, 3, 3, 1, 1);
    private final Conv2d.Geometry skip = new Conv2d.Geometry(N, 2, 4, 4, 3, 1, 1, 1, 0);
    private final Conv2d.Geometry down = new Conv2d.Geometry(N, 6, 8, 8, 4, 3, 3, 2, 1);

    /**
     * h = silu(groupNorm(conv3x3(x))) + linear(emb) per channel; u = [h, conv1x1(x)] (9 = 3*3 channels);
     * a = attention(u) [N, 3, 4, 4]; up = upsample(a); z = conv3x3 stride 2 of [0.5 (up + up), up];
     * loss = mse(z, target).
     */
    private Var graph(Tape tape, Var x, Tensor emb, float[] params, float[] grads, Tensor target) {
        Var w = param(tape, params, grads, convW);
        Var h = tape.conv2d(x, w, param(tape, params, grads, convB), 1, 1);
        h = tape.silu(tape.groupNorm(h, param(tape, params, grads, gamma), param(tape, params, grads, beta), 3, EPS));
        Var e = tape.linear(tape.constant(emb), param(tape, params, grads, linW), param(tape, params, grads, linB));
        h = tape.addPerChannel(h, e);
        Var u = tape.concatChannels(h, tape.conv2d(x, param(tape, params, grads, skipW), null, 1, 0));
        Var a = tape.attention(u);
        Var up = tape.upsampleNearest2x(a);
        Var both = tape.concatChannels(tape.scale(tape.add(up, up), 0.5f), up);
        Var z = tape.conv2d(both, param(tape, params, grads, downW), null, 2, 1);
        return tape.mse(z, target);
    }

    private Var param(Tape tape, float[] params, float[] grads, int i) {
        return param(tape, p, params, grads, i);
    }

    private static Var param(Tape tape, Params ps, float[] params, float[] grads, int i) {
        return tape.parameter(ps.view(params, i), grads == null ? null : ps.view(grads, i));
    }

    private double referenceLoss(double[] params, double[] x, double[] emb, double[] target) {
        double[] h = Reference.conv2dForward(conv, x, p.slice(params, convW), p.slice(params, convB));
        h = Reference.groupNormForward(h, p.slice(params, gamma), p.slice(params, beta), N, 6, 16, 3, EPS);
        h = Reference.siluForward(h);
        double[] e = Reference.linearForward(emb, p.slice(params, linW), p.slice(params, linB), N, 3, 6);
        h = Reference.addPerChannelForward(h, e, N, 6, 16);
        double[] s = Reference.conv2dForward(skip, x, p.slice(params, skipW), null);
        double[] u = Reference.concatForward(h, s, N, 6, 3, 16);
        double[] a = Reference.attentionForward(u, N, 3, 16);
        double[] up = Reference.upsampleForward(a, N * 3, 4, 4);
        double[] both = Reference.concatForward(up, up, N, 3, 3, 64);
        double[] z = Reference.conv2dForward(down, both, p.slice(params, downW), null);
        return Reference.mseForward(z, target, null, N);
    }

    private final SplittableRandom rng = new SplittableRandom(81);
    private final double[] params = scaled(floatRounded(randn(rng, p.size)), 0.5);
    private final double[] x = floatRounded(randn(rng, N * 2 * 16));
    private final double[] emb = floatRounded(randn(rng, N * 3));
    private final double[] target = floatRounded(randn(rng, N * 4 * 16));

    private static double[] scaled(double[] a, double s) {
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (a[i] * s);
        }
        return a;
    }

    @Test
    void gradientsOfAWholeGraphMatchFiniteDifferences() {
        Tape tape = new Tape();
        float[] grads = new float[p.size];
        Var xv = tape.input(new Tensor(floats(x), Shape.of(N, 2, 4, 4)));
        Var loss = graph(tape, xv, new Tensor(floats(emb), Shape.of(N, 3)), floats(params), grads,
                new Tensor(floats(target), Shape.of(N, 4, 4, 4)));
        tape.backward(loss);

        assertEquals(referenceLoss(params, x, emb, target), loss.value().get(0), 1e-5, "loss");
        double[] dParams = numericGradient(v -> referenceLoss(v, x, emb, target), params.clone());
        assertClose(dParams, grads, 0, GRAPH_TOLERANCE, "parameter gradients");
        double[] dx = numericGradient(v -> referenceLoss(params, v, emb, target), x.clone());
        assertClose(dx, xv.grad().data(), xv.grad().offset(), GRAPH_TOLERANCE, "input gradient");
    }

    @Test
    void parameterGradientsAccumulateAndResetReusesEveryBuffer() {
        Tape tape = new Tape();
        float[] values = floats(params);
        float[] grads = new float[p.size];
        Tensor xt = new Tensor(floats(x), Shape.of(N, 2, 4, 4));
        Tensor et = new Tensor(floats(emb), Shape.of(N, 3));
        Tensor tt = new Tensor(floats(target), Shape.of(N, 4, 4, 4));

        tape.backward(graph(tape, tape.input(xt), et, values, grads, tt));
        float[] once = grads.clone();
        long arraysAfterFirstStep = tape.allocatedArrays();
        long floatsAfterFirstStep = tape.allocatedFloats();
        for (int step = 0; step < 3; step++) {
            tape.reset();
            tape.backward(graph(tape, tape.input(xt), et, values, grads, tt));
        }
        assertEquals(arraysAfterFirstStep, tape.allocatedArrays(), "no new arrays after the first step");
        assertEquals(floatsAfterFirstStep, tape.allocatedFloats());
        for (int i = 0; i < grads.length; i++) {
            assertEquals(4.0 * once[i], grads[i], 1e-5 * Math.max(1.0, Math.abs(4.0 * once[i])), "grad " + i);
        }
    }

    @Test
    void inferenceTapeGivesTheSameValuesWithoutGradients() {
        Tensor xt = new Tensor(floats(x), Shape.of(N, 2, 4, 4));
        Tensor et = new Tensor(floats(emb), Shape.of(N, 3));
        Tensor tt = new Tensor(floats(target), Shape.of(N, 4, 4, 4));
        Tape training = new Tape();
        Var trained = graph(training, training.input(xt), et, floats(params), new float[p.size], tt);

        Tape inference = Tape.inference();
        Var loss = graph(inference, inference.input(xt), et, floats(params), null, tt);
        assertEquals(trained.value().get(0), loss.value().get(0), 0f, "same kernels, same value");
        assertTrue(!loss.requiresGrad());
        assertNull(loss.grad());
        assertThrows(IllegalStateException.class, () -> inference.backward(loss));

        // A block's intermediates go back to the pool as soon as its output exists.
        inference.reset();
        long before = -1;
        for (int step = 0; step < 3; step++) {
            int mark = inference.mark();
            Var in = inference.constant(xt);
            Var h = inference.silu(inference.silu(in));
            inference.releaseSince(mark, h);
            Var h2 = inference.silu(h);
            assertEquals(Reference.siluForward(Reference.siluForward(Reference.siluForward(x)))[3], h2.value().get(3),
                    1e-5);
            if (step == 0) {
                before = inference.allocatedArrays();
            }
            inference.reset();
        }
        assertEquals(before, inference.allocatedArrays());
    }

    /** loss = mse(groupNormSilu(x), target) for x [N, 6, 3, 3] in 3 groups (odd HW). */
    private double fusedReferenceLoss(double[] xs, double[] gammaBeta, double[] t) {
        double[] gm = java.util.Arrays.copyOfRange(gammaBeta, 0, 6);
        double[] bt = java.util.Arrays.copyOfRange(gammaBeta, 6, 12);
        return Reference.mseForward(Reference.groupNormSiluForward(xs, gm, bt, N, 6, 9, 3, EPS), t, null, N);
    }

    @Test
    void fusedGroupNormSiluGradientsMatchFiniteDifferencesAndTheUnfusedOps() {
        SplittableRandom r = new SplittableRandom(82);
        double[] xs = floatRounded(scaled(randn(r, N * 6 * 9), 2.0));
        double[] gammaBeta = floatRounded(randn(r, 12));
        double[] t = floatRounded(randn(r, N * 6 * 9));
        float[] values = floats(gammaBeta);
        Tensor target = new Tensor(floats(t), Shape.of(N, 6, 3, 3));

        Tape tape = new Tape();
        float[] grads = new float[12];
        Var xv = tape.input(new Tensor(floats(xs), Shape.of(N, 6, 3, 3)));
        Var gm = tape.parameter(new Tensor(values, 0, Shape.of(6)), new Tensor(grads, 0, Shape.of(6)));
        Var bt = tape.parameter(new Tensor(values, 6, Shape.of(6)), new Tensor(grads, 6, Shape.of(6)));
        Var fused = tape.groupNormSilu(xv, gm, bt, 3, EPS);
        Var loss = tape.mse(fused, target);
        tape.backward(loss);
        assertEquals(fusedReferenceLoss(xs, gammaBeta, t), loss.value().get(0), 1e-5, "loss");
        assertClose(numericGradient(v -> fusedReferenceLoss(xs, v, t), gammaBeta.clone()), grads, 0, GRAPH_TOLERANCE,
                "gamma and beta gradients");
        assertClose(numericGradient(v -> fusedReferenceLoss(v, gammaBeta, t), xs.clone()), xv.grad().data(),
                xv.grad().offset(), GRAPH_TOLERANCE, "input gradient");

        // The unfused pair on the same inputs: same value and gradients up to float rounding.
        Tape unfused = new Tape();
        float[] grads2 = new float[12];
        Var xu = unfused.input(new Tensor(floats(xs), Shape.of(N, 6, 3, 3)));
        Var y2 = unfused.silu(unfused.groupNorm(xu,
                unfused.parameter(new Tensor(values, 0, Shape.of(6)), new Tensor(grads2, 0, Shape.of(6))),
                unfused.parameter(new Tensor(values, 6, Shape.of(6)), new Tensor(grads2, 6, Shape.of(6))), 3, EPS));
        unfused.backward(unfused.mse(y2, target));
        assertArrayEquals(y2.value().toArray(), fused.value().toArray(), 1e-6f, "values");
        assertArrayEquals(grads2, grads, 1e-6f, "parameter gradients");
        assertArrayEquals(xu.grad().toArray(), xv.grad().toArray(), 1e-6f, "input gradients");

        // An inference tape: same value, no gradient.
        Tape inference = Tape.inference();
        Var yi = inference.groupNormSilu(inference.input(new Tensor(floats(xs), Shape.of(N, 6, 3, 3))),
                inference.constant(new Tensor(values, 0, Shape.of(6))),
                inference.constant(new Tensor(values, 6, Shape.of(6))), 3, EPS);
        assertArrayEquals(fused.value().toArray(), yi.value().toArray(), 0f, "inference value");
        assertTrue(!yi.requiresGrad());

        // The same checks and messages as groupNorm, naming the fused op.
        Var bad = tape.constant(Tensor.zeros(2, 32, 7, 7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tape.groupNormSilu(bad,
                tape.constant(Tensor.zeros(32)), tape.constant(Tensor.zeros(32)), 5, EPS));
        assertEquals("groupNormSilu groups must be positive and divide channels 32, got 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tape.groupNormSilu(bad,
                tape.constant(Tensor.zeros(16)), tape.constant(Tensor.zeros(32)), 8, EPS));
        assertTrue(e.getMessage().startsWith("groupNormSilu gamma"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tape.groupNormSilu(bad,
                tape.constant(Tensor.zeros(32)), tape.constant(Tensor.zeros(32)), 8, 0f));
        assertEquals("groupNormSilu eps must be > 0, got 0.0", e.getMessage());

        // Later steps on the same tape reuse every buffer, the fused op's scratch included.
        long arrays = tape.allocatedArrays();
        for (int step = 0; step < 2; step++) {
            tape.reset();
            Var xs2 = tape.input(new Tensor(floats(xs), Shape.of(N, 6, 3, 3)));
            Var gm2 = tape.parameter(new Tensor(values, 0, Shape.of(6)), new Tensor(grads, 0, Shape.of(6)));
            Var bt2 = tape.parameter(new Tensor(values, 6, Shape.of(6)), new Tensor(grads, 6, Shape.of(6)));
            tape.backward(tape.mse(tape.groupNormSilu(xs2, gm2, bt2, 3, EPS), target));
        }
        assertEquals(arrays, tape.allocatedArrays(), "no new arrays after the first step");
    }

    /** The parameters of {@link #residualGraph}, laid out as {@code p}'s are for the graph above. */
    private final Params rp = new Params();
    private final int resW0 = rp.add(6, 4, 3, 3);
    private final int resB0 = rp.add(6);
    private final int resLinW = rp.add(6, 3);
    private final int resLinB = rp.add(6);
    private final int resSkipW = rp.add(6, 4, 1, 1);
    private final int resSkipB = rp.add(6);
    private final int resW1 = rp.add(6, 6, 3, 3);
    private final int resB1 = rp.add(6);
    private final int resProjW = rp.add(6, 6, 1, 1);

    /**
     * A residual block and an attention-style join built twice: with the fused convolutions, and with conv2d
     * followed by addPerChannel / addScaled in the order ResBlock and AttentionBlock used before the fusion (the
     * skip convolution after conv1; the residual on the left). The unfused ops are the ones checked against
     * finite differences above; the fused ones must give their bits and keep one activation per join fewer.
     */
    private Var residualGraph(Tape tape, boolean fused, Var x, Tensor emb, float[] params, float[] grads, Shape shapes,
                              Tensor target) {
        Var w0 = param(tape, rp, params, grads, resW0);
        Var b0 = param(tape, rp, params, grads, resB0);
        Var lw = param(tape, rp, params, grads, resLinW);
        Var lb = param(tape, rp, params, grads, resLinB);
        Var sw = param(tape, rp, params, grads, resSkipW);
        Var sb = param(tape, rp, params, grads, resSkipB);
        Var w1 = param(tape, rp, params, grads, resW1);
        Var b1 = param(tape, rp, params, grads, resB1);
        Var pw = param(tape, rp, params, grads, resProjW);
        float invSqrt2 = (float) (1 / Math.sqrt(2));
        Var e = tape.linear(tape.constant(emb), lw, lb);
        Var y;
        if (fused) {
            Var h = tape.silu(tape.conv2dAddPerChannel(x, w0, b0, 1, 1, e));
            Var skip = tape.conv2d(x, sw, sb, 1, 0);
            y = tape.conv2dAddScaled(h, w1, b1, 1, 1, skip, invSqrt2);
            y = tape.conv2dAddScaled(y, pw, null, 1, 0, y, invSqrt2);
        } else {
            Var h = tape.silu(tape.addPerChannel(tape.conv2d(x, w0, b0, 1, 1), e));
            h = tape.conv2d(h, w1, b1, 1, 1);
            y = tape.addScaled(h, tape.conv2d(x, sw, sb, 1, 0), invSqrt2);
            y = tape.addScaled(y, tape.conv2d(y, pw, null, 1, 0), invSqrt2);
        }
        return tape.mse(tape.reshape(y, shapes), target);
    }

    @Test
    void fusedConvolutionsGiveTheUnfusedOpsBitsWithOneActivationFewerPerJoin() {
        SplittableRandom r = new SplittableRandom(83);
        float[] params = floats(scaled(floatRounded(randn(r, rp.size)), 0.4));
        float[] input = floats(floatRounded(randn(r, N * 4 * 25)));
        Tensor emb = new Tensor(floats(floatRounded(randn(r, N * 3))), Shape.of(N, 3));
        Tensor target = new Tensor(floats(floatRounded(randn(r, N * 150))), Shape.of(N, 150));

        float[][] grads = new float[2][];
        float[][] dx = new float[2][];
        float[] losses = new float[2];
        long[] floats = new long[2];
        for (int fused = 0; fused < 2; fused++) {
            Tape tape = new Tape();
            grads[fused] = new float[params.length];
            Var x = tape.input(new Tensor(input.clone(), Shape.of(N, 4, 5, 5)));
            Var loss = residualGraph(tape, fused == 1, x, emb, params, grads[fused], Shape.of(N, 150), target);
            floats[fused] = tape.allocatedFloats(); // the forward pass's values
            tape.backward(loss);
            losses[fused] = loss.value().get(0);
            dx[fused] = x.grad().toArray();
        }
        assertTrue(losses[0] > 0.1f, "a loss that depends on every parameter: " + losses[0]);
        assertEquals(Float.floatToIntBits(losses[0]), Float.floatToIntBits(losses[1]), "loss bits");
        assertArrayEquals(grads[0], grads[1], 0f, "parameter gradients");
        assertArrayEquals(dx[0], dx[1], 0f, "input gradient");
        // Three joins of [N, 6, 5, 5]: each writes into the convolution's output instead of a value of its own.
        assertEquals(3L * N * 6 * 25, floats[0] - floats[1], "floats of values the fused forward pass does not keep");

        // The fused ops on an inference tape give the same value.
        Tape inference = Tape.inference();
        Var yi = residualGraph(inference, true, inference.constant(new Tensor(input.clone(), Shape.of(N, 4, 5, 5))),
                emb, params, null, Shape.of(N, 150), target);
        assertEquals(Float.floatToIntBits(losses[0]), Float.floatToIntBits(yi.value().get(0)), "inference loss bits");

        Tape tape = new Tape();
        Var x = tape.constant(Tensor.zeros(2, 4, 5, 5));
        Var w = tape.constant(Tensor.zeros(6, 4, 3, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tape.conv2dAddScaled(x, w, null, 1, 1, tape.constant(Tensor.zeros(2, 6, 3, 3)), 0.5f));
        assertTrue(e.getMessage().startsWith("conv2dAddScaled residual (must match the convolution's output)"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> tape.conv2dAddPerChannel(x, w, null, 1, 1, tape.constant(Tensor.zeros(2, 4))));
        assertTrue(e.getMessage().startsWith("conv2dAddPerChannel e ([N, Cout])"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tape.conv2dAddPerChannel(x,
                tape.constant(Tensor.zeros(6, 3, 3, 3)), null, 1, 1, tape.constant(Tensor.zeros(2, 6))));
        assertEquals("conv2dAddPerChannel weight: expected [Cout, Cin, kh, kw] with Cin = 4, got [6, 3, 3, 3]",
                e.getMessage());
    }

    /**
     * Intermediate gradients are written, not added, where nothing reached them yet (Tape.gradOut): the concat's
     * two inputs, the fused residual join's residual, the fused GroupNorm-SiLU convolution's input, a 1x1
     * convolution's input on the vector product (10x10: whole blocks and a tail), attention's qkv and a stride-2
     * convolution's input (zeroed first). After a step on other values every such buffer is dirty; the gradients must be a fresh
     * tape's bit for bit, and the input a has one gradient written (the join) and one added (the concat).
     */
    @Test
    void gradientsWrittenOverDirtyBuffersAreAFreshTapesBits() {
        SplittableRandom r = new SplittableRandom(89);
        int n = 2;
        Shape[] shapes = {Shape.of(8, 4, 1, 1), Shape.of(4, 4, 3, 3), Shape.of(12), Shape.of(12),
            Shape.of(8, 12, 3, 3), Shape.of(8), Shape.of(12, 8, 1, 1), Shape.of(4, 4, 3, 3)};
        float[][] values = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            values[i] = floats(floatRounded(scaled(randn(r, shapes[i].size()), 0.4)));
        }
        for (int i = 0; i < 12; i++) {
            values[2][i] += 1f;
        }
        float[] input = floats(floatRounded(randn(r, n * 4 * 100)));
        float[] warmInput = floats(floatRounded(scaled(randn(r, n * 4 * 100), 3)));
        Tensor target = new Tensor(floats(floatRounded(randn(r, n * 4 * 25))), Shape.of(n, 4, 5, 5));
        assertTrue(io.sparkdiffusion.tensor.kernels.NormSiluConv.fuses(new Conv2d.Geometry(n, 12, 10, 10, 8, 3, 3,
                1, 1)), "the fused GroupNorm-SiLU convolution runs");

        float[][][] grads = new float[2][][];
        for (int dirty = 0; dirty < 2; dirty++) {
            Tape tape = new Tape();
            if (dirty == 1) {
                tape.backward(setGraph(tape, tape.input(new Tensor(warmInput.clone(), Shape.of(n, 4, 10, 10))),
                        shapes, values, new float[shapes.length][], target));
                tape.reset();
            }
            float[][] g = new float[shapes.length + 1][];
            Var x = tape.input(new Tensor(input.clone(), Shape.of(n, 4, 10, 10)));
            tape.backward(setGraph(tape, x, shapes, values, g, target));
            g[shapes.length] = x.grad().toArray();
            grads[dirty] = g;
        }
        for (int i = 0; i <= shapes.length; i++) {
            assertTrue(maxAbs(grads[0][i]) > 0f, "gradient " + i + " is not all zeros");
            assertArrayEquals(grads[0][i], grads[1][i], 0f, "gradient " + i + " after a step on other values");
        }
    }

    /**
     * a = conv1x1(x), b = conv3x3(x), u = [a, b], h = 0.7 (conv3x3(silu(gn(u))) + a),
     * z = conv3x3/2(attention(conv1x1(h))).
     */
    private static Var setGraph(Tape tape, Var x, Shape[] shapes, float[][] values, float[][] grads, Tensor target) {
        Var[] p = new Var[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            Tensor grad = Tensor.zeros(shapes[i].dims());
            grads[i] = grad.data();
            p[i] = tape.parameter(new Tensor(values[i].clone(), shapes[i]), grad);
        }
        Var a = tape.conv2d(x, p[0], null, 1, 0);
        Var b = tape.conv2d(x, p[1], null, 1, 1);
        Var u = tape.concatChannels(a, b);
        Var h = tape.groupNormSiluConv2dAddScaled(u, p[2], p[3], 4, EPS, p[4], p[5], 1, 1, a, 0.7f);
        Var qkv = tape.conv2d(h, p[6], null, 1, 0);
        return tape.mse(tape.conv2d(tape.attention(qkv), p[7], null, 2, 1), target);
    }

    @Test
    void dropoutAndReshapeAndWeightedMse() {
        Tape tape = new Tape();
        Tensor xt = new Tensor(floats(x), Shape.of(N, 2, 4, 4));
        Var xv = tape.input(xt);
        assertSame(xv, tape.dropout(xv, 0f, 1L), "p = 0 is the identity");
        Var d = tape.dropout(xv, 0.5f, 7L);
        Var flat = tape.reshape(d, Shape.of(N, 32));
        Tensor w = new Tensor(new float[] {2f, 0.25f}, Shape.of(N));
        Tensor zero = Tensor.zeros(N, 32);
        Var loss = tape.mse(flat, zero, w);
        tape.backward(loss);
        double[] dropped = Reference.dropoutForward(x, 0.5, 7L);
        double[] weights = {2.0, 0.25};
        assertEquals(Reference.mseForward(dropped, new double[dropped.length], weights, N), loss.value().get(0), 1e-5);
        double[] dDropped = Reference.mseBackward(1.0, dropped, new double[dropped.length], weights, N);
        assertClose(Reference.dropoutBackward(dDropped, 0.5, 7L), xv.grad().data(), 0, 1e-5, "dx");
    }

    @Test
    void errorsNameTheInputAndTheExpectedShape() {
        Tape tape = new Tape();
        Var x = tape.constant(Tensor.zeros(2, 32, 7, 7));
        Var w = tape.constant(Tensor.zeros(64, 16, 3, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tape.conv2d(x, w, null, 1, 1));
        assertEquals("conv2d weight: expected [Cout, Cin, kh, kw] with Cin = 32, got [64, 16, 3, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> tape.groupNorm(x, tape.constant(Tensor.zeros(32)), tape.constant(Tensor.zeros(32)), 5, EPS));
        assertTrue(e.getMessage().contains("groups"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tape.add(x, tape.constant(Tensor.zeros(2, 32, 7, 8))));
        assertTrue(e.getMessage().startsWith("add right operand"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tape.attention(tape.constant(Tensor.zeros(2, 8, 3, 3))));
        assertTrue(e.getMessage().contains("divisible by 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tape.backward(tape.input(Tensor.zeros(2))));
        assertTrue(e.getMessage().contains("single value"), e.getMessage());

        Var stale = tape.input(Tensor.zeros(1, 1, 2, 2));
        tape.reset();
        assertThrows(IllegalStateException.class, () -> tape.silu(stale));
        assertThrows(IllegalArgumentException.class, () -> new Tape().silu(tape.input(Tensor.zeros(1))));

        Var in = tape.input(Tensor.zeros(1, 1, 2, 2));
        Var loss = tape.mse(tape.silu(in), Tensor.zeros(1, 1, 2, 2));
        tape.backward(loss);
        assertThrows(IllegalStateException.class, () -> tape.backward(loss));
        assertArrayEquals(new float[4], in.grad().toArray(), "silu'(0) * 2 * (0 - 0) = 0");
    }

    /**
     * groupNormSiluConv2d and its joins against groupNormSilu followed by conv2d, conv2dAddPerChannel and
     * conv2dAddScaled (each checked against the double-precision reference above and in the kernels' tests): the
     * same bits for the output and every gradient, on a recording and an inference tape. The shapes are ones the
     * fused kernel takes on the vector engine (where Winograd does not run: fewer than 16 channels in or out, on
     * machines without AVX-512) with one, several and uneven chunks of images: 14x14 at 4 images per chunk, 7x7 at
     * 18 (40 images: 18 + 18 + 4), unet-small's conv_out, 5x5.
     */
    @Test
    void groupNormSiluConvolutionGivesTheTwoOpsBits() {
        assertTrue(Conv2d.batchInvariant(), "the tests run on the vector engine (surefire loads jdk.incubator.vector)");
        int[][] cases = {{5, 8, 12, 14, 2}, {40, 12, 64, 7, 4}, {3, 32, 1, 28, 8}, {2, 4, 6, 5, 1}};
        SplittableRandom r = new SplittableRandom(97);
        for (int[] c : cases) {
            int n = c[0];
            int cin = c[1];
            int cout = c[2];
            int hw = c[3];
            int groups = c[4];
            assertTrue(io.sparkdiffusion.tensor.kernels.NormSiluConv.fuses(
                    new Conv2d.Geometry(n, cin, hw, hw, cout, 3, 3, 1, 1)), "the fused kernel runs: " + Arrays.toString(c));
            float[] x = floats(floatRounded(randn(r, n * cin * hw * hw)));
            float[] gamma = floats(floatRounded(scaled(randn(r, cin), 0.5)));
            for (int i = 0; i < cin; i++) {
                gamma[i] += 1f;
            }
            float[] beta = floats(floatRounded(scaled(randn(r, cin), 0.5)));
            float[] w = floats(floatRounded(scaled(randn(r, cout * cin * 9), 1 / Math.sqrt(cin * 9.0))));
            float[] b = floats(floatRounded(randn(r, cout)));
            float[] e = floats(floatRounded(randn(r, n * cout)));
            float[] res = floats(floatRounded(randn(r, n * cout * hw * hw)));
            Tensor target = new Tensor(floats(floatRounded(randn(r, n * cout * hw * hw))),
                    Shape.of(n, cout, hw, hw));
            float[] warmX = floats(floatRounded(scaled(randn(r, n * cin * hw * hw), 3)));
            for (int join = 0; join < 3; join++) {
                List<float[]> results = new ArrayList<>();
                for (int fused = 0; fused < 2; fused++) {
                    // A step on other values first, so that the pooled buffers the checked step reuses are dirty.
                    Tape tape = new Tape();
                    Var warm = normSiluConv(tape, fused == 1, join, tape.input(new Tensor(warmX.clone(),
                            Shape.of(n, cin, hw, hw))), tape.constant(new Tensor(beta.clone(), Shape.of(cin))),
                            tape.constant(new Tensor(gamma.clone(), Shape.of(cin))), groups,
                            tape.constant(new Tensor(w.clone(), Shape.of(cout, cin, 3, 3))), null,
                            tape.constant(new Tensor(e.clone(), Shape.of(n, cout))),
                            tape.constant(new Tensor(target.toArray(), Shape.of(n, cout, hw, hw))));
                    tape.backward(tape.mse(warm, target));
                    tape.reset();
                    List<Var> leaves = new ArrayList<>();
                    Var vx = tape.parameter(new Tensor(x.clone(), Shape.of(n, cin, hw, hw)),
                            Tensor.zeros(n, cin, hw, hw));
                    Var vg = tape.parameter(new Tensor(gamma.clone(), Shape.of(cin)), Tensor.zeros(cin));
                    Var vb = tape.parameter(new Tensor(beta.clone(), Shape.of(cin)), Tensor.zeros(cin));
                    Var vw = tape.parameter(new Tensor(w.clone(), Shape.of(cout, cin, 3, 3)),
                            Tensor.zeros(cout, cin, 3, 3));
                    Var vbias = tape.parameter(new Tensor(b.clone(), Shape.of(cout)), Tensor.zeros(cout));
                    Var ve = tape.parameter(new Tensor(e.clone(), Shape.of(n, cout)), Tensor.zeros(n, cout));
                    Var vr = tape.parameter(new Tensor(res.clone(), Shape.of(n, cout, hw, hw)),
                            Tensor.zeros(n, cout, hw, hw));
                    leaves.addAll(List.of(vx, vg, vb, vw, vbias, ve, vr));
                    Var y = normSiluConv(tape, fused == 1, join, vx, vg, vb, groups, vw, vbias, ve, vr);
                    results.add(y.value().toArray());
                    tape.backward(tape.mse(y, target));
                    for (Var v : leaves) {
                        results.add(v.grad().toArray());
                    }
                    Tape inference = Tape.inference();
                    Var yi = normSiluConv(inference, fused == 1, join, inference.constant(vx.value()),
                            inference.constant(vg.value()), inference.constant(vb.value()), groups,
                            inference.constant(vw.value()), inference.constant(vbias.value()),
                            inference.constant(ve.value()), inference.constant(vr.value()));
                    results.add(yi.value().toArray());
                }
                int half = results.size() / 2;
                String[] names = {"y", "dx", "dgamma", "dbeta", "dw", "db", "de", "dr", "inference y"};
                for (int i = 0; i < half; i++) {
                    assertArrayEquals(results.get(i), results.get(half + i), 0f, names[i] + " of "
                            + Arrays.toString(c) + ", join " + join);
                }
                assertTrue(maxAbs(results.get(1)) > 0f && maxAbs(results.get(2)) > 0f, "gradients reach x and gamma");
            }
        }
    }

    /**
     * upsampleNearest2xConv3x3 against upsampleNearest2x followed by conv2d (each checked against the
     * double-precision reference): the output and every gradient agree within the summed taps' rounding, after a
     * step on other values so that the pooled buffers it reuses are dirty; an inference tape gives the recording
     * tape's bits.
     */
    @Test
    void upsamplingConvolutionMatchesUpsamplingThenConvolving() {
        int n = 3;
        int cin = 5;
        int cout = 6;
        int h = 7;
        SplittableRandom r = new SplittableRandom(98);
        float[] x = floats(floatRounded(randn(r, n * cin * h * h)));
        float[] w = floats(floatRounded(scaled(randn(r, cout * cin * 9), 1 / Math.sqrt(cin * 9.0))));
        float[] b = floats(floatRounded(randn(r, cout)));
        Tensor target = new Tensor(floats(floatRounded(randn(r, n * cout * 4 * h * h))), Shape.of(n, cout, 2 * h,
                2 * h));
        List<float[]> results = new ArrayList<>();
        for (int oneOp = 0; oneOp < 2; oneOp++) {
            Tape tape = new Tape();
            Var warm = upsampleConv(tape, oneOp == 1, tape.input(new Tensor(floats(randn(r, x.length)),
                    Shape.of(n, cin, h, h))), tape.parameter(new Tensor(w.clone(), Shape.of(cout, cin, 3, 3)),
                    Tensor.zeros(cout, cin, 3, 3)), tape.constant(new Tensor(b.clone(), Shape.of(cout))));
            tape.backward(tape.mse(warm, target));
            tape.reset();
            Var vx = tape.parameter(new Tensor(x.clone(), Shape.of(n, cin, h, h)), Tensor.zeros(n, cin, h, h));
            Var vw = tape.parameter(new Tensor(w.clone(), Shape.of(cout, cin, 3, 3)), Tensor.zeros(cout, cin, 3, 3));
            Var vb = tape.parameter(new Tensor(b.clone(), Shape.of(cout)), Tensor.zeros(cout));
            Var y = upsampleConv(tape, oneOp == 1, vx, vw, vb);
            tape.backward(tape.mse(y, target));
            results.addAll(List.of(y.value().toArray(), vx.grad().toArray(), vw.grad().toArray(),
                    vb.grad().toArray()));
            if (oneOp == 1) {
                Tape inference = Tape.inference();
                Var yi = upsampleConv(inference, true, inference.constant(vx.value()), inference.constant(vw.value()),
                        inference.constant(vb.value()));
                assertArrayEquals(y.value().toArray(), yi.value().toArray(), 0f, "inference y");
            }
        }
        String[] names = {"y", "dx", "dw", "db"};
        for (int i = 0; i < 4; i++) {
            double[] twoOps = new double[results.get(i).length];
            for (int k = 0; k < twoOps.length; k++) {
                twoOps[k] = results.get(i)[k];
            }
            assertClose(twoOps, results.get(4 + i), 0, 5e-5, names[i]);
            assertTrue(maxAbs(results.get(4 + i)) > 0f, names[i] + " is not all zeros");
        }
    }

    @Test
    void upsamplingConvolutionNamesAWrongWeight() {
        Tape tape = new Tape();
        Var x = tape.input(Tensor.zeros(2, 4, 5, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tape.upsampleNearest2xConv3x3(
                x, tape.constant(Tensor.zeros(6, 4, 5, 5)), null));
        assertTrue(e.getMessage().startsWith("upsampleNearest2xConv3x3 weight: expected [Cout, Cin, 3, 3] with Cin = 4"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tape.upsampleNearest2xConv3x3(x,
                tape.constant(Tensor.zeros(6, 3, 3, 3)), null));
        assertTrue(e.getMessage().startsWith("upsampleNearest2xConv3x3 weight: expected [Cout, Cin, 3, 3] with Cin = 4"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tape.upsampleNearest2xConv3x3(x,
                tape.constant(Tensor.zeros(6, 4, 3, 3)), tape.constant(Tensor.zeros(5))));
        assertTrue(e.getMessage().startsWith("upsampleNearest2xConv3x3 bias"), e.getMessage());
    }

    private static Var upsampleConv(Tape tape, boolean oneOp, Var x, Var w, Var b) {
        return oneOp ? tape.upsampleNearest2xConv3x3(x, w, b) : tape.conv2d(tape.upsampleNearest2x(x), w, b, 1, 1);
    }

    /** join 0: none, 1: + e per channel, 2: (y + r) / 2; fused through groupNormSiluConv2d or as two ops. */
    private static Var normSiluConv(Tape tape, boolean fused, int join, Var x, Var gamma, Var beta, int groups,
                                    Var w, Var b, Var e, Var r) {
        if (fused) {
            return switch (join) {
                case 0 -> tape.groupNormSiluConv2d(x, gamma, beta, groups, EPS, w, b, 1, 1);
                case 1 -> tape.groupNormSiluConv2dAddPerChannel(x, gamma, beta, groups, EPS, w, b, 1, 1, e);
                default -> tape.groupNormSiluConv2dAddScaled(x, gamma, beta, groups, EPS, w, b, 1, 1, r, 0.5f);
            };
        }
        Var h = tape.groupNormSilu(x, gamma, beta, groups, EPS);
        return switch (join) {
            case 0 -> tape.conv2d(h, w, b, 1, 1);
            case 1 -> tape.conv2dAddPerChannel(h, w, b, 1, 1, e);
            default -> tape.conv2dAddScaled(h, w, b, 1, 1, r, 0.5f);
        };
    }

    private static float maxAbs(float[] a) {
        float m = 0f;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
