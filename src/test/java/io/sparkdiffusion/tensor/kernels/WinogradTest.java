package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.GUARD;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertGuardedClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guarded;
import static io.sparkdiffusion.tensor.kernels.Numerics.plus;
import static io.sparkdiffusion.tensor.kernels.Numerics.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Winograd F(2x2, 3x3) and F(4x4, 3x3) forward and input gradient, and F(2x2, 3x3) weight gradient, against the
 * double-precision reference.
 */
class WinogradTest {
    /**
     * Winograd's transforms add rounding the direct sum does not have (products of values scaled by 1/2 and 1/4,
     * sums of 16 terms): a little looser than {@link Numerics#FLOAT_TOLERANCE}, still far inside the twin parity
     * tolerance of 1e-4.
     */
    private static final double TOLERANCE = 5e-5;

    /** Odd and even sizes, channel counts that are not multiples of 4 or 16, batches 1..70, groups spanning images. */
    static Stream<Conv2d.Geometry> geometries() {
        return Stream.of(
                new Conv2d.Geometry(1, 1, 1, 1, 1, 3, 3, 1, 1),     // one pixel: a tile that is mostly padding
                new Conv2d.Geometry(2, 2, 5, 6, 3, 3, 3, 1, 1),     // odd rows, even columns
                new Conv2d.Geometry(1, 5, 7, 7, 6, 3, 3, 1, 1),     // 7x7, 16 tiles
                new Conv2d.Geometry(3, 7, 7, 7, 9, 3, 3, 1, 1),     // 7x7, three images in one group
                new Conv2d.Geometry(2, 17, 14, 14, 18, 3, 3, 1, 1), // 14x14, channels past 16
                new Conv2d.Geometry(3, 3, 28, 28, 5, 3, 3, 1, 1),   // 588 tiles: groups that start inside an image
                new Conv2d.Geometry(2, 33, 28, 27, 35, 3, 3, 1, 1), // odd width, 33 -> 35 channels
                new Conv2d.Geometry(2, 17, 28, 28, 18, 3, 3, 1, 1), // 28x28, 18 outputs: 16 in lanes + 2 on AVX2
                new Conv2d.Geometry(70, 4, 3, 2, 3, 3, 3, 1, 1),    // tiny images: many per group
                new Conv2d.Geometry(8, 5, 7, 7, 6, 3, 3, 1, 1),     // F(4x4): one set of 8 images in lanes
                new Conv2d.Geometry(19, 17, 14, 13, 18, 3, 3, 1, 1), // two sets of 8 (16) and 3 images by tile rows
                new Conv2d.Geometry(17, 3, 28, 27, 20, 3, 3, 1, 1)); // sets that span groups
    }

    /** Every geometry on both output tiles. */
    static Stream<Arguments> geometriesAndTiles() {
        return geometries().flatMap(g -> Stream.of(Arguments.of(g, 2), Arguments.of(g, 4)));
    }

    @ParameterizedTest
    @MethodSource("geometriesAndTiles")
    void forwardMatchesReference(Conv2d.Geometry g, int m) {
        SplittableRandom rng = new SplittableRandom(31);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] b = floatRounded(randn(rng, g.cout()));
        // Scratch starts as NaN: any read of a value the kernels did not set would poison the result.
        float[] scratch = nanScratch(g, m);
        float[] y = Numerics.guardedFilled(g.n() * g.cout() * g.h() * g.w(), Float.NaN);
        Winograd.forward(g, m, guarded(x), GUARD, guarded(w), GUARD, guarded(b), GUARD, y, GUARD, scratch);
        assertGuardedClose(Reference.conv2dForward(g, x, w, b), y, TOLERANCE, "y, tiles " + m + ", " + g);

        float[] noBias = Numerics.guardedFilled(y.length - 2 * GUARD, Float.NaN);
        Winograd.forward(g, m, guarded(x), GUARD, guarded(w), GUARD, null, 0, noBias, GUARD, nanScratch(g, m));
        assertGuardedClose(Reference.conv2dForward(g, x, w, new double[g.cout()]), noBias, TOLERANCE,
                "y without bias, tiles " + m + ", " + g);
    }

    @ParameterizedTest
    @MethodSource("geometriesAndTiles")
    void inputGradientAccumulatesTheReference(Conv2d.Geometry g, int m) {
        SplittableRandom rng = new SplittableRandom(32);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.h() * g.w()));
        double[] dx0 = floatRounded(randn(rng, x.length));
        float[] dx = guarded(dx0);
        Winograd.inputGradient(g, m, guarded(dy), GUARD, guarded(w), GUARD, dx, GUARD, nanScratch(g, m));
        assertGuardedClose(plus(dx0, Reference.conv2dBackward(g, dy, x, w)[0]), dx, TOLERANCE,
                "dx, tiles " + m + ", " + g);
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void weightGradientAccumulatesTheReference(Conv2d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(35);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.h() * g.w()));
        double[] dw0 = floatRounded(randn(rng, w.length));
        float[] dw = guarded(dw0);
        Winograd.weightGradient(g, guarded(dy), GUARD, guarded(x), GUARD, dw, GUARD, nanScratch(g));
        assertGuardedClose(plus(dw0, Reference.conv2dBackward(g, dy, x, w)[1]), dw, TOLERANCE, "dw " + g);
    }

    /** Groups of the weight gradient that start inside images and a last group shorter than a vector. */
    @Test
    void weightGradientOverManyGroups() {
        Conv2d.Geometry g = new Conv2d.Geometry(11, 3, 28, 28, 2, 3, 3, 1, 1);
        int tiles = g.n() * 196;
        int group = Winograd.weightGroup(g);
        assertTrue(tiles > 2 * group && tiles % group % VectorConv.LANES != 0,
                "the last group must be a partial vector for this test to mean anything");
        weightGradientAccumulatesTheReference(g);
    }

    /**
     * Through Conv2d, on whatever engine it picks for the shape (under auto without AVX-512, Winograd's forward and
     * input gradient for the 33 -> 35 and 17 -> 18 channel cases, its weight gradient for 17 -> 18 at 28x28 only;
     * with AVX-512 the shifted products): the same results as the reference, the weight gradient included.
     */
    @ParameterizedTest
    @MethodSource("geometries")
    void conv2dBackwardWithWinogradMatchesReference(Conv2d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(33);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.h() * g.w()));
        double[] dx0 = floatRounded(randn(rng, x.length));
        double[] dw0 = floatRounded(randn(rng, w.length));
        double[] db0 = floatRounded(randn(rng, g.cout()));
        float[] dx = guarded(dx0);
        float[] dw = guarded(dw0);
        float[] db = guarded(db0);
        Conv2d.backward(g, Numerics.view(guarded(dy)), Numerics.view(guarded(x)), Numerics.view(guarded(w)),
                Numerics.view(dx), Numerics.view(dw), Numerics.view(db), new float[Conv2d.scratchSize(g)]);
        double[][] ref = Reference.conv2dBackward(g, dy, x, w);
        assertGuardedClose(plus(dx0, ref[0]), dx, TOLERANCE, "dx " + g);
        assertGuardedClose(plus(dw0, ref[1]), dw, TOLERANCE, "dw " + g);
    }

    /**
     * The measured rule of auto (the suite runs under it): which of the geometries above use each Winograd path.
     * Without AVX-512 (the products' 6 x 2 block) Winograd takes the forward and input gradient from 7x7 with 16
     * channels each way, and the weight gradient from 14x14 with 96 or more input channels; with AVX-512 (8 x 3)
     * nothing.
     */
    @Test
    void autoRunsWinogradWhereItMeasuredFaster() {
        Conv2d.Geometry big = new Conv2d.Geometry(2, 17, 28, 28, 18, 3, 3, 1, 1);
        Conv2d.Geometry narrow = new Conv2d.Geometry(2, 33, 28, 27, 35, 3, 3, 1, 1);
        Conv2d.Geometry smallInput = new Conv2d.Geometry(64, 32, 14, 14, 64, 3, 3, 1, 1);
        Conv2d.Geometry mediumInput = new Conv2d.Geometry(64, 64, 14, 14, 64, 3, 3, 1, 1);
        Conv2d.Geometry wideInput = new Conv2d.Geometry(64, 96, 14, 13, 32, 3, 3, 1, 1);
        Conv2d.Geometry sevenBySeven = new Conv2d.Geometry(64, 128, 7, 7, 64, 3, 3, 1, 1);
        Conv2d.Geometry fifteenChannels = new Conv2d.Geometry(2, 15, 28, 28, 32, 3, 3, 1, 1);
        boolean narrowBlock = !VectorConv.WIDE;
        assertEquals(narrowBlock, Winograd.Choice.applies(big));
        assertFalse(Winograd.Choice.appliesToWeightGradient(big), "17 input channels");
        assertEquals(narrowBlock, Winograd.Choice.applies(narrow));
        assertFalse(Winograd.Choice.appliesToWeightGradient(narrow), "33 input channels");
        assertEquals(narrowBlock, Winograd.Choice.applies(smallInput));
        assertFalse(Winograd.Choice.appliesToWeightGradient(smallInput), "14x14 with 32 input channels");
        assertFalse(Winograd.Choice.appliesToWeightGradient(mediumInput), "64 input channels");
        assertFalse(Winograd.Choice.appliesToWeightGradient(wideInput), "13 columns");
        Conv2d.Geometry wide = new Conv2d.Geometry(64, 96, 14, 14, 32, 3, 3, 1, 1);
        assertEquals(narrowBlock, Winograd.Choice.applies(wide) && Winograd.Choice.appliesToWeightGradient(wide));
        assertEquals(narrowBlock, Winograd.Choice.applies(sevenBySeven));
        assertFalse(Winograd.Choice.appliesToWeightGradient(sevenBySeven), "7x7, even with 128 input channels");
        assertFalse(Winograd.Choice.applies(fifteenChannels), "15 input channels");
    }

    /**
     * Each tile reads its own image only and each output is summed in its own lane in one fixed order: an image's
     * output is bit for bit the same alone or inside a batch, at any position, with groups starting inside it and a
     * group of another size alone. With 4x4 tiles a batch of 9 runs its first 8 images in lanes (one set) and the
     * ninth by tile rows, as an image alone does: the two paths give the same bits.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void anImageGivesTheSameBitsAloneAndInsideABatch(int m) {
        Conv2d.Geometry batch = new Conv2d.Geometry(9, 6, 28, 28, 5, 3, 3, 1, 1);
        Conv2d.Geometry single = new Conv2d.Geometry(1, 6, 28, 28, 5, 3, 3, 1, 1);
        int perImage = 784 / (m * m);
        assertTrue(perImage % Winograd.group(batch, m) != 0 && 9 * perImage > Winograd.group(batch, m),
                "groups must start inside images for this test to mean anything");
        assertTrue(Winograd.group(single, m) < Winograd.group(batch, m),
                "the image alone takes a group of its own tiles");
        SplittableRandom rng = new SplittableRandom(34);
        int inImage = batch.cin() * 784;
        int outImage = batch.cout() * 784;
        float[] x = guarded(randn(rng, batch.n() * inImage));
        float[] w = guarded(randn(rng, batch.cout() * batch.k()));
        float[] b = guarded(randn(rng, batch.cout()));
        float[] y = new float[batch.n() * outImage];
        Winograd.forward(batch, m, x, GUARD, w, GUARD, b, GUARD, y, 0, nanScratch(batch, m));
        float[] dx = new float[batch.n() * inImage];
        Winograd.inputGradient(batch, m, y, 0, w, GUARD, dx, 0, nanScratch(batch, m));
        for (int i = 0; i < batch.n(); i++) {
            float[] alone = new float[outImage];
            Winograd.forward(single, m, x, GUARD + i * inImage, w, GUARD, b, GUARD, alone, 0, nanScratch(single, m));
            assertArrayEquals(alone, Arrays.copyOfRange(y, i * outImage, (i + 1) * outImage),
                    "y of image " + i + ", tiles " + m);
            float[] dxAlone = new float[inImage];
            Winograd.inputGradient(single, m, y, i * outImage, w, GUARD, dxAlone, 0, nanScratch(single, m));
            assertArrayEquals(dxAlone, Arrays.copyOfRange(dx, i * inImage, (i + 1) * inImage),
                    "dx of image " + i + ", tiles " + m);
        }
    }

    @Test
    void refusesOtherGeometries() {
        Conv2d.Geometry stride2 = new Conv2d.Geometry(1, 1, 6, 6, 1, 3, 3, 2, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> Winograd.forward(stride2, new float[36], 0,
                new float[9], 0, null, 0, new float[9], 0, new float[1 << 16]));
        assertTrue(e.getMessage().contains("need a 3x3 kernel, stride 1 and padding 1"), e.getMessage());
        Conv2d.Geometry fiveByFive = new Conv2d.Geometry(1, 1, 6, 6, 1, 5, 5, 1, 2);
        assertThrows(IllegalArgumentException.class, () -> Winograd.inputGradient(fiveByFive, new float[36], 0,
                new float[25], 0, new float[36], 0, new float[1 << 16]));
    }

    private static float[] nanScratch(Conv2d.Geometry g) {
        return nanScratch(g, Winograd.Choice.tile(g));
    }

    private static float[] nanScratch(Conv2d.Geometry g, int m) {
        float[] s = new float[(int) Winograd.scratchSize(g, m)];
        Arrays.fill(s, Float.NaN);
        return s;
    }
}
