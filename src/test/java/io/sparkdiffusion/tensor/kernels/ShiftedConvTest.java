package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.FLOAT_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.GUARD;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertGuardedClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guarded;
import static io.sparkdiffusion.tensor.kernels.Numerics.plus;
import static io.sparkdiffusion.tensor.kernels.Numerics.randn;
import static io.sparkdiffusion.tensor.kernels.Numerics.view;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Both shifted-product engines (one BLAS GEMM per tap, and VectorConv) against the double-precision reference. */
class ShiftedConvTest {

    /** Stride-1 geometries: odd and even sizes, channel counts that are not multiples of VectorConv.ROWS. */
    static Stream<Conv2d.Geometry> geometries() {
        return Stream.of(
                new Conv2d.Geometry(2, 2, 5, 5, 3, 3, 3, 1, 1),    // 3x3 same padding, 3 output rows
                new Conv2d.Geometry(1, 2, 3, 3, 1, 3, 3, 1, 2),    // padding larger than needed
                new Conv2d.Geometry(2, 1, 5, 4, 2, 2, 3, 1, 0),    // non-square kernel, no padding
                new Conv2d.Geometry(5, 4, 7, 7, 6, 3, 3, 1, 1),    // 5 images per chunk
                new Conv2d.Geometry(3, 2, 6, 5, 3, 5, 5, 1, 2),    // 5x5: 25 taps, not a multiple of 3
                new Conv2d.Geometry(3, 2, 5, 6, 2, 2, 3, 1, 1),    // even kernel: output one row taller
                new Conv2d.Geometry(2, 3, 28, 28, 4, 3, 3, 1, 1),  // one image per chunk
                new Conv2d.Geometry(3, 9, 14, 14, 7, 3, 3, 1, 1),  // 9 -> 7 channels: partial row blocks both ways
                new Conv2d.Geometry(70, 5, 2, 3, 5, 3, 3, 1, 1),   // tiny images: two chunks, the last one short
                // Output channels in vector lanes for the weight gradient (VectorConv.correlateOuter; the comments
                // count 16-float vectors, AVX2's 8-float ones take 6 x 2 blocks of the same rows):
                new Conv2d.Geometry(2, 5, 6, 7, 64, 3, 3, 1, 1),   // 4 vectors of rows, 45 terms: 7 blocks of 6 + 3
                new Conv2d.Geometry(3, 4, 9, 8, 48, 3, 3, 1, 1),   // 2 vectors in lanes, 16 rows by correlate
                new Conv2d.Geometry(2, 3, 5, 5, 33, 3, 3, 1, 1),   // 27 terms: 2 blocks of 12 + 3; one row left
                new Conv2d.Geometry(90, 2, 4, 4, 96, 3, 3, 1, 1)); // 4 + 2 vectors of rows, three chunks
    }

    static Stream<Arguments> cases() {
        return Stream.of(ShiftedConv.Engine.values())
                .flatMap(e -> geometries().filter(ShiftedConv::supports).map(g -> Arguments.of(e, g)));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesReference(ShiftedConv.Engine engine, Conv2d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(21);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] b = floatRounded(randn(rng, g.cout()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.ho() * g.wo()));
        double[] dx0 = floatRounded(randn(rng, x.length));
        double[] dw0 = floatRounded(randn(rng, w.length));
        // Scratch starts as NaN: any read of a column the kernels did not set would poison the result.
        float[] scratch = new float[(int) ShiftedConv.scratchSize(engine, g)];
        Arrays.fill(scratch, Float.NaN);
        float[] yf = Numerics.guardedFilled(dy.length, Float.NaN);
        ShiftedConv.forward(engine, g, view(guarded(x)), view(guarded(w)), view(guarded(b)), view(yf), scratch);
        assertGuardedClose(Reference.conv2dForward(g, x, w, b), yf, FLOAT_TOLERANCE, engine + " y " + g);

        Arrays.fill(scratch, Float.NaN);
        float[] dxf = guarded(dx0);
        float[] dwf = guarded(dw0);
        ShiftedConv.backward(engine, g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), view(dxf), view(dwf),
                scratch);
        double[][] ref = Reference.conv2dBackward(g, dy, x, w);
        assertGuardedClose(plus(dx0, ref[0]), dxf, FLOAT_TOLERANCE, engine + " dx " + g);
        assertGuardedClose(plus(dw0, ref[1]), dwf, FLOAT_TOLERANCE, engine + " dw " + g);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void eachGradientAlone(ShiftedConv.Engine engine, Conv2d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(22);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.ho() * g.wo()));
        double[][] ref = Reference.conv2dBackward(g, dy, x, w);
        float[] scratch = new float[(int) ShiftedConv.scratchSize(engine, g)];
        float[] dxf = Numerics.guardedFilled(x.length, 0);
        ShiftedConv.backward(engine, g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), view(dxf), null,
                scratch);
        assertGuardedClose(ref[0], dxf, FLOAT_TOLERANCE, engine + " dx alone " + g);
        float[] dwf = Numerics.guardedFilled(w.length, 0);
        ShiftedConv.backward(engine, g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), null, view(dwf),
                scratch);
        assertGuardedClose(ref[1], dwf, FLOAT_TOLERANCE, engine + " dw alone " + g);
    }

    /**
     * Geometries whose output rows are whole blocks of 7 pixels and whose channels fill blocks of 64: what
     * VectorConv.productChannels computes ({@link ShiftedConv#channelLanes} takes those 7 wide).
     */
    static Stream<Conv2d.Geometry> channelGeometries() {
        return Stream.of(
                new Conv2d.Geometry(3, 5, 7, 7, 64, 3, 3, 1, 1),     // 7x7, one block of channels
                new Conv2d.Geometry(2, 16, 14, 14, 128, 3, 3, 1, 1), // two blocks of columns and of channels
                new Conv2d.Geometry(70, 2, 3, 7, 64, 3, 3, 1, 1),    // many chunks, the last one short
                new Conv2d.Geometry(2, 3, 7, 7, 64, 5, 5, 1, 2),     // 5x5: 25 taps
                new Conv2d.Geometry(2, 3, 9, 9, 64, 3, 3, 1, 0),     // no padding: 7x7 output of a 9x9 input
                new Conv2d.Geometry(2, 4, 5, 21, 64, 3, 3, 1, 1));   // 21 wide: only when asked for
    }

    /**
     * The channel-lanes forward sums the same terms in the same order as the columns product: the same bits,
     * with and without a bias, and both against the double-precision reference. Scratch starts as NaN, so a tile
     * or packed weight read before it is written would show.
     */
    @ParameterizedTest
    @MethodSource("channelGeometries")
    void channelLanesForwardIsTheColumnsForwardBitForBit(Conv2d.Geometry g) {
        assumeTrue(VectorConv.CHANNEL_LANES, "the channel-lanes product runs on 16-float vectors only");
        SplittableRandom rng = new SplittableRandom(25);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] b = floatRounded(randn(rng, g.cout()));
        int outputs = g.n() * g.cout() * g.ho() * g.wo();
        for (boolean bias : new boolean[] {true, false}) {
            float[] columns = Numerics.guardedFilled(outputs, Float.NaN);
            float[] channels = Numerics.guardedFilled(outputs, Float.NaN);
            float[] scratch = new float[(int) ShiftedConv.scratchSize(ShiftedConv.Engine.VECTOR, g)];
            Arrays.fill(scratch, Float.NaN);
            ShiftedConv.forwardVector(false, g, view(guarded(x)), view(guarded(w)), bias ? view(guarded(b)) : null,
                    view(columns), scratch);
            Arrays.fill(scratch, Float.NaN);
            ShiftedConv.forwardVector(true, g, view(guarded(x)), view(guarded(w)), bias ? view(guarded(b)) : null,
                    view(channels), scratch);
            assertArrayEquals(columns, channels, "bias " + bias + " " + g);
            assertGuardedClose(Reference.conv2dForward(g, x, w, bias ? b : new double[g.cout()]), channels,
                    FLOAT_TOLERANCE, "channel lanes, bias " + bias + " " + g);
        }
        assertTrue(ShiftedConv.channelLanes(g) == (g.wo() == 7), "the default takes the channel lanes at 7 wide");
    }

    /** Input-channel geometries: the input gradient's product has the input channels as rows and its pixels. */
    static Stream<Conv2d.Geometry> channelGradientGeometries() {
        return Stream.of(
                new Conv2d.Geometry(3, 64, 7, 7, 5, 3, 3, 1, 1),     // 7x7 input, one block of channels
                new Conv2d.Geometry(2, 128, 14, 14, 16, 3, 3, 1, 1), // two blocks of columns and of channels
                new Conv2d.Geometry(70, 64, 3, 7, 2, 3, 3, 1, 1),    // many chunks, the last one short
                new Conv2d.Geometry(2, 64, 7, 7, 3, 5, 5, 1, 2),     // 5x5: 25 taps
                new Conv2d.Geometry(2, 64, 7, 7, 64, 3, 3, 1, 0));   // no padding: 5x5 output of a 7x7 input
    }

    /**
     * The channel-lanes input gradient sums the same terms in the same order as the columns product: dx and dw the
     * same bits either way, and against the double-precision reference. Scratch starts as NaN, so a padding
     * column of the input gradient's layout that the channel lanes leave unwritten and something reads would show.
     */
    @ParameterizedTest
    @MethodSource("channelGradientGeometries")
    void channelLanesInputGradientIsTheColumnsOneBitForBit(Conv2d.Geometry g) {
        assumeTrue(VectorConv.CHANNEL_LANES, "the channel-lanes product runs on 16-float vectors only");
        SplittableRandom rng = new SplittableRandom(26);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.ho() * g.wo()));
        float[][] dx = new float[2][];
        float[][] dw = new float[2][];
        for (int k = 0; k < 2; k++) {
            dx[k] = Numerics.guardedFilled(x.length, 0);
            dw[k] = Numerics.guardedFilled(w.length, 0);
            float[] scratch = new float[(int) ShiftedConv.scratchSize(ShiftedConv.Engine.VECTOR, g)];
            Arrays.fill(scratch, Float.NaN);
            ShiftedConv.backwardVector(k == 1, g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), view(dx[k]),
                    view(dw[k]), scratch);
        }
        assertArrayEquals(dx[0], dx[1], "dx " + g);
        assertArrayEquals(dw[0], dw[1], "dw " + g);
        double[][] ref = Reference.conv2dBackward(g, dy, x, w);
        assertGuardedClose(ref[0], dx[1], FLOAT_TOLERANCE, "channel lanes dx " + g);
        assertTrue(ShiftedConv.channelLanesBackward(g) == (g.w() == 7), "the default takes the channel lanes at 7 wide");
    }

    @Test
    void channelLanesForwardRefusesOutputsItCannotBlock() {
        Conv2d.Geometry g = new Conv2d.Geometry(1, 2, 7, 7, 48, 3, 3, 1, 1);
        float[] scratch = new float[(int) ShiftedConv.scratchSize(ShiftedConv.Engine.VECTOR, g)];
        var e = assertThrows(IllegalArgumentException.class, () -> ShiftedConv.forwardVector(true, g,
                new Tensor(new float[98], Shape.of(98)), new Tensor(new float[48 * 18], Shape.of(48 * 18)), null,
                new Tensor(new float[48 * 49], Shape.of(48 * 49)), scratch));
        assertTrue(e.getMessage().contains("the channel-lanes forward (output channels by output columns) needs "
                + "16-float vectors (this JVM's hold " + VectorConv.LANES + "), a multiple of 64 channels and of 7 "
                + "columns, got"), e.getMessage());
        assertTrue(!ShiftedConv.channelLanes(g), "48 output channels do not fill blocks of 64");
        e = assertThrows(IllegalArgumentException.class, () -> ShiftedConv.Product.parse("lanes"));
        assertTrue(e.getMessage().equals("sparkdiffusion.conv.product must be one of auto, columns, channels; got "
                + "'lanes'"), e.getMessage());
        assertTrue(ShiftedConv.Product.parse(" Columns ") == ShiftedConv.Product.COLUMNS);
        assertTrue(!ShiftedConv.Product.COLUMNS.channels(64, 7), "columns never takes the channel lanes");
        assertTrue(ShiftedConv.Product.CHANNELS.channels(128, 28) == VectorConv.CHANNEL_LANES,
                "channels takes them wherever the blocks fit");
    }

    /**
     * The vector forward sums each output in its own lane, in one fixed order: an image's output is bit for bit
     * the same whether it is computed alone or among others, at any position in the batch.
     */
    @Test
    void vectorForwardOfAnImageDoesNotDependOnItsBatch() {
        Conv2d.Geometry batch = new Conv2d.Geometry(9, 6, 14, 14, 5, 3, 3, 1, 1);
        Conv2d.Geometry single = new Conv2d.Geometry(1, 6, 14, 14, 5, 3, 3, 1, 1);
        SplittableRandom rng = new SplittableRandom(23);
        float[] x = guarded(randn(rng, batch.n() * batch.cin() * 196));
        float[] w = guarded(randn(rng, batch.cout() * batch.k()));
        float[] b = guarded(randn(rng, batch.cout()));
        int outImage = batch.cout() * 196;
        float[] y = new float[batch.n() * outImage];
        ShiftedConv.forward(ShiftedConv.Engine.VECTOR, batch, view(x), view(w), view(b), new Tensor(y, Shape.of(y.length)),
                new float[(int) ShiftedConv.scratchSize(ShiftedConv.Engine.VECTOR, batch)]);
        float[] scratch = new float[(int) ShiftedConv.scratchSize(ShiftedConv.Engine.VECTOR, single)];
        assertTrue(ShiftedConv.chunk(batch) > 1, "the batch must share chunks for this test to mean anything");
        for (int i = 0; i < batch.n(); i++) {
            float[] alone = new float[outImage];
            ShiftedConv.forward(ShiftedConv.Engine.VECTOR, single,
                    new Tensor(x, GUARD + i * batch.cin() * 196, Shape.of(batch.cin() * 196)), view(w), view(b),
                    new Tensor(alone, Shape.of(outImage)), scratch);
            assertArrayEquals(alone, Arrays.copyOfRange(y, i * outImage, (i + 1) * outImage), "image " + i);
        }
    }

    /**
     * The vector engine zeroes its chunk-local blocks (the padded input, and the backward's spread dy) at a call's
     * first chunk only, and a short last chunk clears what the full chunks before it wrote past its images: after a
     * call whose last chunk is short, each block holds exactly what a zeroed block with that chunk's images holds.
     * 9 images of 14x14 at 4 per chunk: chunks of 4, 4 and 1, so the last chunk's block held three other images.
     */
    @Test
    void aShortLastChunkLeavesItsBlocksAsFreshOnes() {
        Conv2d.Geometry g = new Conv2d.Geometry(9, 6, 14, 14, 5, 3, 3, 1, 1);
        assertTrue(ShiftedConv.chunk(g) == 4, "the layout this test works out by hand has 4 images per chunk");
        SplittableRandom rng = new SplittableRandom(24);
        float[] x = guarded(randn(rng, g.n() * g.cin() * 196));
        float[] w = guarded(randn(rng, g.cout() * g.k()));
        float[] dy = guarded(randn(rng, g.n() * g.cout() * 196));
        float[] scratch = new float[(int) ShiftedConv.scratchSize(ShiftedConv.Engine.VECTOR, g)];
        Arrays.fill(scratch, Float.NaN);
        float[] y = new float[g.n() * g.cout() * 196];
        ShiftedConv.forward(ShiftedConv.Engine.VECTOR, g, view(x), view(w), null, new Tensor(y, Shape.of(y.length)),
                scratch);
        // Padded layout (ShiftedConv's javadoc): rows 15 floats wide, images 15 rows apart, the first pixel at 16.
        int cs = ShiftedConv.vectorChannelStride(g);
        float[] input = new float[g.cin() * cs];
        for (int c = 0; c < g.cin(); c++) {
            for (int i = 0; i < 14; i++) {
                for (int j = 0; j < 14; j++) {
                    input[c * cs + 16 + i * 15 + j] = x[GUARD + (8 * g.cin() + c) * 196 + i * 14 + j];
                }
            }
        }
        assertArrayEquals(input, Arrays.copyOfRange(scratch, 0, input.length), "the padded input after the forward");

        Arrays.fill(scratch, Float.NaN);
        float[] dx = new float[x.length];
        float[] dw = new float[w.length];
        ShiftedConv.backward(ShiftedConv.Engine.VECTOR, g, new Tensor(dy, GUARD, Shape.of(y.length)), view(x), view(w),
                new Tensor(dx, Shape.of(dx.length)), new Tensor(dw, Shape.of(dw.length)), scratch);
        assertArrayEquals(input, Arrays.copyOfRange(scratch, 0, input.length), "the padded input after the backward");
        // dyw: rows of maxShift (2 * 15 + 2 = 32) zeros, then dy in the padded layout's wide columns.
        int ds = 32 + cs;
        float[] spread = new float[g.cout() * ds];
        for (int o = 0; o < g.cout(); o++) {
            for (int i = 0; i < 14; i++) {
                for (int j = 0; j < 14; j++) {
                    spread[o * ds + 32 + i * 15 + j] = dy[GUARD + (8 * g.cout() + o) * 196 + i * 14 + j];
                }
            }
        }
        assertArrayEquals(spread, Arrays.copyOfRange(scratch, input.length, input.length + spread.length),
                "the spread dy after the backward");
    }

    @Test
    void refusesGeometriesItCannotLayOutAndViewsSmallerThanTheGeometry() {
        Conv2d.Geometry stride2 = new Conv2d.Geometry(1, 1, 6, 6, 1, 3, 3, 2, 1);
        Tensor x = new Tensor(new float[36], Shape.of(36));
        Tensor w = new Tensor(new float[9], Shape.of(9));
        var e = assertThrows(IllegalArgumentException.class, () -> ShiftedConv.forward(stride2, x, w, null,
                new Tensor(new float[9], Shape.of(9)), new float[1 << 12]));
        assertTrue(e.getMessage().contains("needs stride 1 and padding <= kernel size - 1"), e.getMessage());
        Conv2d.Geometry g = new Conv2d.Geometry(1, 1, 6, 6, 1, 3, 3, 1, 1);
        float[] scratch = new float[(int) ShiftedConv.scratchSize(g)];
        Tensor y = new Tensor(new float[36], Shape.of(36));
        e = assertThrows(IllegalArgumentException.class, () -> ShiftedConv.backward(g,
                new Tensor(new float[35], Shape.of(35)), x, w, null, null, scratch));
        assertTrue(e.getMessage().contains("dy, a view of [N, Cout, Ho, Wo] = [1, 1, 6, 6]: expected 36 floats, got 35"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ShiftedConv.backward(g, y, x, w,
                new Tensor(new float[30], Shape.of(30)), null, scratch));
        assertTrue(e.getMessage().contains("dx, a view of [N, Cin, H, W] = [1, 1, 6, 6]: expected 36 floats, got 30"),
                e.getMessage());
    }
}
