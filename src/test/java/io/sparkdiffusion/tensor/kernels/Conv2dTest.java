package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.FD_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.FLOAT_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.GUARD;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertGuardedClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.dot;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guarded;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class Conv2dTest {

    static Stream<Conv2d.Geometry> smallGeometries() {
        return Stream.of(
                new Conv2d.Geometry(2, 2, 5, 5, 3, 3, 3, 1, 1),   // 3x3 same padding
                new Conv2d.Geometry(2, 2, 6, 5, 2, 3, 3, 2, 1),   // stride 2, odd width
                new Conv2d.Geometry(1, 3, 4, 6, 2, 1, 1, 1, 0),   // 1x1 pointwise, non-square
                new Conv2d.Geometry(2, 1, 5, 4, 2, 2, 3, 1, 0),   // non-square kernel, no padding
                new Conv2d.Geometry(1, 2, 3, 3, 1, 3, 3, 1, 2));  // padding larger than needed
    }

    /** Geometries large enough to batch several images per GEMM, plus the network's own shapes at small N. */
    static Stream<Conv2d.Geometry> fastGeometries() {
        return Stream.concat(smallGeometries(), Stream.of(
                new Conv2d.Geometry(5, 4, 7, 7, 6, 3, 3, 1, 1),   // 49 positions: 5 images per GEMM
                new Conv2d.Geometry(3, 2, 6, 5, 3, 5, 5, 1, 2),   // 5x5 same: two shared padding rows/columns
                new Conv2d.Geometry(3, 2, 5, 6, 2, 2, 3, 1, 1),   // even kernel: output one row taller than input
                new Conv2d.Geometry(3, 8, 14, 14, 4, 3, 3, 2, 1), // downsample
                new Conv2d.Geometry(3, 6, 7, 7, 9, 1, 1, 1, 0),   // batched 1x1
                new Conv2d.Geometry(2, 3, 28, 28, 4, 3, 3, 1, 1), // one image per GEMM
                new Conv2d.Geometry(2, 5, 32, 33, 3, 1, 1, 1, 0), // 1x1 with x as its own col
                // 1x1 on the vector engine: the last hw % BLOCK columns of several images per staging block (30
                // columns: one image per block; 100: two whole blocks of 48 and 4 more, up to 12 images per block),
                // and the weight gradient with 32 input (x transposed) or 64 output channels (dy transposed) in
                // vector lanes on AVX-512, terms left over after its blocks of 12 and 6
                new Conv2d.Geometry(3, 6, 5, 6, 9, 1, 1, 1, 0),
                new Conv2d.Geometry(5, 4, 10, 10, 3, 1, 1, 1, 0),
                new Conv2d.Geometry(3, 32, 5, 7, 40, 1, 1, 1, 0),
                new Conv2d.Geometry(2, 70, 10, 10, 64, 1, 1, 1, 0),
                // stride 2 on the vector engine: the weight gradient with 32 and 64 output channels in lanes
                // (AVX-512), several images per chunk and a short last chunk
                new Conv2d.Geometry(7, 5, 9, 8, 32, 3, 3, 2, 1),
                new Conv2d.Geometry(2, 3, 7, 7, 64, 3, 3, 2, 1),
                // stride 2 over the input's phases: 17 output columns (a whole vector of the row copy and an
                // overlapping one on AVX-512), odd height and width
                new Conv2d.Geometry(2, 3, 35, 33, 5, 3, 3, 2, 1)
        ));
    }

    /** The stride-2 convolutions {@link StrideTwoConv} computes: the network's two and awkward small ones. */
    static Stream<Conv2d.Geometry> strideTwoGeometries() {
        return Stream.concat(fastGeometries().filter(StrideTwoConv::applies), Stream.of(
                new Conv2d.Geometry(3, 32, 28, 28, 32, 3, 3, 2, 1),
                new Conv2d.Geometry(21, 64, 14, 14, 64, 3, 3, 2, 1),  // 16 images per chunk, a short last one
                new Conv2d.Geometry(40, 2, 3, 2, 3, 3, 3, 2, 1)));     // 2x1 outputs, 3 chunks
    }

    /**
     * The stride-2 forward over the input's phases gives the im2col product's bits, with and without a bias (the
     * same terms in the same order over the same values, the bias added after the sums), from NaN-filled scratch.
     */
    @ParameterizedTest
    @MethodSource("strideTwoGeometries")
    void strideTwoPhasesGiveTheIm2colProductsBits(Conv2d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(16);
        float[] x = guarded(floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w())));
        float[] w = guarded(floatRounded(randn(rng, g.cout() * g.k())));
        float[] b = guarded(floatRounded(randn(rng, g.cout())));
        int size = g.n() * g.cout() * g.ho() * g.wo();
        float[] scratch = new float[Conv2d.scratchSize(ShiftedConv.Engine.VECTOR, g)];
        for (boolean bias : new boolean[] {true, false}) {
            float[] phases = Numerics.guardedFilled(size, Float.NaN);
            float[] im2col = Numerics.guardedFilled(size, Float.NaN);
            java.util.Arrays.fill(scratch, Float.NaN);
            StrideTwoConv.forward(g, x, GUARD, w, GUARD, bias ? b : null, GUARD, phases, GUARD, scratch);
            java.util.Arrays.fill(scratch, Float.NaN);
            Conv2d.forwardVectorIm2col(g, x, GUARD, w, GUARD, bias ? b : null, GUARD, im2col, GUARD, scratch);
            org.junit.jupiter.api.Assertions.assertArrayEquals(im2col, phases, (bias ? "with" : "without")
                    + " bias, " + g);
        }
    }

    @ParameterizedTest
    @MethodSource("smallGeometries")
    void referenceBackwardMatchesFiniteDifferences(Conv2d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(11);
        double[] x = randn(rng, g.n() * g.cin() * g.h() * g.w());
        double[] w = randn(rng, g.cout() * g.k());
        double[] b = randn(rng, g.cout());
        double[] dy = randn(rng, g.n() * g.cout() * g.ho() * g.wo());
        double[][] grads = Reference.conv2dBackward(g, dy, x, w);
        assertClose(numericGradient(v -> dot(dy, Reference.conv2dForward(g, v, w, b)), x), grads[0],
                FD_TOLERANCE, "dx");
        assertClose(numericGradient(v -> dot(dy, Reference.conv2dForward(g, x, v, b)), w), grads[1],
                FD_TOLERANCE, "dw");
        assertClose(numericGradient(v -> dot(dy, Reference.conv2dForward(g, x, w, v)), b), grads[2],
                FD_TOLERANCE, "db");
    }

    @ParameterizedTest
    @MethodSource("fastGeometries")
    void fastKernelsMatchReference(Conv2d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(12);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] b = floatRounded(randn(rng, g.cout()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.ho() * g.wo()));
        // Gradients accumulate: start them from nonzero values.
        double[] dx0 = floatRounded(randn(rng, x.length));
        double[] dw0 = floatRounded(randn(rng, w.length));
        double[] db0 = floatRounded(randn(rng, b.length));

        float[] xf = guarded(x);
        float[] wf = guarded(w);
        float[] bf = guarded(b);
        float[] yf = Numerics.guardedFilled(dy.length, Float.NaN);
        float[] scratch = new float[Conv2d.scratchSize(g)];
        Conv2d.forward(g, view(xf), view(wf), view(bf), view(yf), scratch);
        assertGuardedClose(Reference.conv2dForward(g, x, w, b), yf, FLOAT_TOLERANCE, "y " + g);

        float[] dyf = guarded(dy);
        float[] dxf = guarded(dx0);
        float[] dwf = guarded(dw0);
        float[] dbf = guarded(db0);
        java.util.Arrays.fill(scratch, Float.NaN);
        Conv2d.backward(g, view(dyf), view(xf), view(wf), view(dxf), view(dwf), view(dbf), scratch);
        double[][] ref = Reference.conv2dBackward(g, dy, x, w);
        assertGuardedClose(plus(dx0, ref[0]), dxf, FLOAT_TOLERANCE, "dx " + g);
        assertGuardedClose(plus(dw0, ref[1]), dwf, FLOAT_TOLERANCE, "dw " + g);
        assertGuardedClose(plus(db0, ref[2]), dbf, FLOAT_TOLERANCE, "db " + g);
    }

    /** Both forward engines of the convolutions that do not run as shifted products (1x1, stride 2). */
    static Stream<Arguments> im2colGeometriesAndEngines() {
        return fastGeometries().filter(g -> !g.usesShiftedGemm())
                .flatMap(g -> Stream.of(ShiftedConv.Engine.values()).map(e -> Arguments.of(g, e)));
    }

    @ParameterizedTest
    @MethodSource("im2colGeometriesAndEngines")
    void im2colForwardOfEitherEngineMatchesReference(Conv2d.Geometry g, ShiftedConv.Engine engine) {
        SplittableRandom rng = new SplittableRandom(14);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] b = floatRounded(randn(rng, g.cout()));
        float[] yf = Numerics.guardedFilled(g.n() * g.cout() * g.ho() * g.wo(), Float.NaN);
        float[] scratch = new float[Conv2d.scratchSize(engine, g)];
        java.util.Arrays.fill(scratch, Float.NaN);
        Conv2d.forward(engine, g, view(guarded(x)), view(guarded(w)), view(guarded(b)), view(yf), scratch);
        assertGuardedClose(Reference.conv2dForward(g, x, w, b), yf, FLOAT_TOLERANCE, "y " + engine + " " + g);
    }

    /**
     * The vector engine gives an image the same output bits alone and at any position of a batch, for the network's
     * downsample (stride 2) and attention / skip (1x1) shapes: each output column is summed in its own lane.
     */
    @ParameterizedTest
    @CsvSource({"32, 28, 32, 3, 2, 1", "64, 14, 64, 3, 2, 1", "64, 7, 192, 1, 1, 0", "96, 14, 64, 1, 1, 0",
            "64, 28, 32, 1, 1, 0"})
    void vectorForwardIsBatchInvariant(int cin, int size, int cout, int kernel, int stride, int pad) {
        int n = 23; // more than one chunk at 7x7 (20 images) and 14x14 (5 images), with a short last chunk
        Conv2d.Geometry all = new Conv2d.Geometry(n, cin, size, size, cout, kernel, kernel, stride, pad);
        Conv2d.Geometry one = new Conv2d.Geometry(1, cin, size, size, cout, kernel, kernel, stride, pad);
        SplittableRandom rng = new SplittableRandom(15);
        float[] x = guarded(floatRounded(randn(rng, n * cin * size * size)));
        float[] w = guarded(floatRounded(randn(rng, cout * all.k())));
        float[] b = guarded(floatRounded(randn(rng, cout)));
        int outImage = cout * all.ho() * all.wo();
        float[] yAll = new float[n * outImage];
        Conv2d.forward(ShiftedConv.Engine.VECTOR, all, view(x), view(w), view(b), new Tensor(yAll, Shape.of(yAll.length)),
                new float[Conv2d.scratchSize(ShiftedConv.Engine.VECTOR, all)]);
        for (int i = 0; i < n; i++) {
            float[] yOne = new float[outImage];
            Conv2d.forward(ShiftedConv.Engine.VECTOR, one,
                    new Tensor(x, GUARD + i * cin * size * size, Shape.of(cin * size * size)), view(w), view(b),
                    new Tensor(yOne, Shape.of(outImage)), new float[Conv2d.scratchSize(ShiftedConv.Engine.VECTOR, one)]);
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    java.util.Arrays.copyOfRange(yAll, i * outImage, (i + 1) * outImage), yOne, "image " + i);
        }
    }

    @Test
    void forwardWithoutBiasAndBackwardWithOnlyWeightGradient() {
        Conv2d.Geometry g = new Conv2d.Geometry(3, 2, 7, 7, 3, 3, 3, 1, 1);
        SplittableRandom rng = new SplittableRandom(13);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.ho() * g.wo()));
        float[] scratch = new float[Conv2d.scratchSize(g)];
        float[] yf = Numerics.guardedFilled(dy.length, 0);
        Conv2d.forward(g, view(guarded(x)), view(guarded(w)), null, view(yf), scratch);
        assertGuardedClose(Reference.conv2dForward(g, x, w, null), yf, FLOAT_TOLERANCE, "y without bias");
        float[] dwf = Numerics.guardedFilled(w.length, 0);
        Conv2d.backward(g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), null, view(dwf), null, scratch);
        assertGuardedClose(Reference.conv2dBackward(g, dy, x, w)[1], dwf, FLOAT_TOLERANCE, "dw alone");
    }

    /** The 1x1 backward (two products per image) with one gradient wanted at a time, accumulating onto nonzero. */
    @Test
    void pointwiseBackwardWithOneGradientAtATime() {
        Conv2d.Geometry g = new Conv2d.Geometry(4, 6, 7, 5, 3, 1, 1, 1, 0);
        SplittableRandom rng = new SplittableRandom(14);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.ho() * g.wo()));
        double[] dx0 = floatRounded(randn(rng, x.length));
        double[] dw0 = floatRounded(randn(rng, w.length));
        double[][] ref = Reference.conv2dBackward(g, dy, x, w);
        float[] scratch = new float[Conv2d.scratchSize(g)];
        float[] dwf = guarded(dw0);
        Conv2d.backward(g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), null, view(dwf), null, scratch);
        assertGuardedClose(plus(dw0, ref[1]), dwf, FLOAT_TOLERANCE, "dw alone");
        float[] dxf = guarded(dx0);
        Conv2d.backward(g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), view(dxf), null, null, scratch);
        assertGuardedClose(plus(dx0, ref[0]), dxf, FLOAT_TOLERANCE, "dx alone");
    }

    @Test
    void refusesViewsSmallerThanTheGeometry() {
        Conv2d.Geometry g = new Conv2d.Geometry(2, 3, 5, 5, 4, 3, 3, 1, 1);
        Tensor x = new Tensor(new float[150], Shape.of(150));
        Tensor w = new Tensor(new float[108], Shape.of(108));
        Tensor y = new Tensor(new float[200], Shape.of(200));
        float[] scratch = new float[Conv2d.scratchSize(g)];
        var e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.forward(g, new Tensor(new float[149], Shape.of(149)), w, null, y, scratch));
        assertTrue(e.getMessage().contains("x, a view of [N, Cin, H, W] = [2, 3, 5, 5]: expected 150 floats, got 149"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.forward(g, x, w, new Tensor(new float[3], Shape.of(3)), y, scratch));
        assertTrue(e.getMessage().contains("bias, a view of [Cout] = [4]: expected 4 floats, got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.forward(g, x, w, null, new Tensor(new float[199], Shape.of(199)), scratch));
        assertTrue(e.getMessage().contains("y, a view of [N, Cout, Ho, Wo] = [2, 4, 5, 5]: expected 200 floats, got 199"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.backward(g, y, x, new Tensor(new float[107], Shape.of(107)), null, null, null, scratch));
        assertTrue(e.getMessage().contains("weight, a view of [Cout, Cin, kh, kw] = [4, 3, 3, 3]: expected 108 floats, "
                + "got 107"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.backward(g, y, x, w, null, new Tensor(new float[100], Shape.of(100)), null, scratch));
        assertTrue(e.getMessage().contains("dweight, a view of [Cout, Cin, kh, kw] = [4, 3, 3, 3]: expected 108"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.forward(g, x, w, null, y, new float[scratch.length - 1]));
        assertTrue(e.getMessage().contains("scratch: expected " + scratch.length + " floats"), e.getMessage());
    }

    @Test
    void outputSizeFollowsThePyTorchFormula() {
        Conv2d.Geometry down = new Conv2d.Geometry(1, 1, 28, 28, 1, 3, 3, 2, 1);
        assertEquals(14, down.ho());
        Conv2d.Geometry odd = new Conv2d.Geometry(1, 1, 7, 7, 1, 3, 3, 2, 1);
        assertEquals(4, odd.wo());
        Conv2d.Geometry valid = new Conv2d.Geometry(1, 1, 5, 6, 1, 3, 2, 1, 0);
        assertEquals(3, valid.ho());
        assertEquals(5, valid.wo());
    }

    @Test
    void rejectsBadGeometry() {
        assertThrows(IllegalArgumentException.class, () -> new Conv2d.Geometry(1, 1, 5, 5, 1, 3, 3, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d.Geometry(1, 1, 2, 2, 1, 5, 5, 1, 0));
    }
}
