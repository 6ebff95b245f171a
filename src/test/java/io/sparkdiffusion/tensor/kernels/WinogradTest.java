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
import org.junit.jupiter.params.provider.MethodSource;

/** Winograd F(4x4, 3x3) forward, input gradient and weight gradient against the double-precision reference. */
class WinogradTest {
    /**
     * Winograd's transforms add rounding the direct sum does not have (values scaled by up to 5 and 8 in the input
     * and output transforms and 1/24 in the weights', sums of 36 terms): a little looser than
     * {@link Numerics#FLOAT_TOLERANCE}, still far inside the twin parity tolerance of 1e-4.
     */
    private static final double TOLERANCE = 5e-5;

    /** Odd and even sizes, channel counts that are not multiples of 4 or 16, batches 1..70, groups spanning images. */
    static Stream<Conv2d.Geometry> geometries() {
        return Stream.of(
                new Conv2d.Geometry(1, 1, 1, 1, 1, 3, 3, 1, 1),     // one pixel: a tile that is mostly padding
                new Conv2d.Geometry(2, 2, 5, 6, 3, 3, 3, 1, 1),     // odd rows, even columns
                new Conv2d.Geometry(1, 5, 7, 7, 6, 3, 3, 1, 1),     // 7x7, 4 tiles
                new Conv2d.Geometry(3, 7, 7, 7, 9, 3, 3, 1, 1),     // 7x7, three images in one group
                new Conv2d.Geometry(2, 17, 14, 14, 18, 3, 3, 1, 1), // 14x14, channels past 16
                new Conv2d.Geometry(3, 3, 28, 28, 5, 3, 3, 1, 1),   // 147 tiles: groups that start inside an image
                new Conv2d.Geometry(2, 33, 28, 27, 35, 3, 3, 1, 1), // odd width, 33 -> 35 channels
                new Conv2d.Geometry(2, 17, 28, 28, 18, 3, 3, 1, 1), // 28x28, 18 outputs: 16 in lanes + 2 on AVX2
                new Conv2d.Geometry(70, 4, 3, 2, 3, 3, 3, 1, 1),    // tiny images: many per group
                new Conv2d.Geometry(8, 5, 7, 7, 6, 3, 3, 1, 1),     // one set of 8 images in lanes (AVX2)
                new Conv2d.Geometry(19, 17, 14, 13, 18, 3, 3, 1, 1), // two sets of 8 (16) and 3 images by tile rows
                new Conv2d.Geometry(17, 3, 28, 27, 20, 3, 3, 1, 1)); // sets that span groups
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void forwardMatchesReference(Conv2d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(31);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] b = floatRounded(randn(rng, g.cout()));
        // Scratch starts as NaN: any read of a value the kernels did not set would poison the result.
        float[] scratch = nanScratch(g);
        float[] y = Numerics.guardedFilled(g.n() * g.cout() * g.h() * g.w(), Float.NaN);
        Winograd.forward(g, guarded(x), GUARD, guarded(w), GUARD, guarded(b), GUARD, y, GUARD, scratch);
        assertGuardedClose(Reference.conv2dForward(g, x, w, b), y, TOLERANCE, "y " + g);

        float[] noBias = Numerics.guardedFilled(y.length - 2 * GUARD, Float.NaN);
        Winograd.forward(g, guarded(x), GUARD, guarded(w), GUARD, null, 0, noBias, GUARD, nanScratch(g));
        assertGuardedClose(Reference.conv2dForward(g, x, w, new double[g.cout()]), noBias, TOLERANCE,
                "y without bias " + g);
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void inputGradientAccumulatesTheReference(Conv2d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(32);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.h() * g.w()));
        double[] dx0 = floatRounded(randn(rng, x.length));
        float[] dx = guarded(dx0);
        Winograd.inputGradient(g, guarded(dy), GUARD, guarded(w), GUARD, dx, GUARD, nanScratch(g));
        assertGuardedClose(plus(dx0, Reference.conv2dBackward(g, dy, x, w)[0]), dx, TOLERANCE, "dx " + g);
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

    /**
     * Images in lanes for the weight gradient: wide channels make groups shorter than the sets, so that sets span
     * groups, and the last set holds 4 images (its empty lanes padded with zeros).
     */
    @Test
    void weightGradientOverManyGroups() {
        Conv2d.Geometry g = new Conv2d.Geometry(2 * VectorConv.LANES + 4, 64, 14, 14, 64, 3, 3, 1, 1);
        int columns = 3 * 16 * VectorConv.LANES;
        int group = Winograd.weightGroup(g);
        assertTrue(columns > group && group % (16 * VectorConv.LANES) != 0,
                "groups must end inside sets for this test to mean anything");
        weightGradientAccumulatesTheReference(g);
    }

    /**
     * Through Conv2d, on whatever engine it picks for the shape (under auto without AVX-512, Winograd for the
     * geometries with 16 or more channels each way from 7x7; with AVX-512 the shifted products): the same results as
     * the reference, the weight gradient included.
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
     * With setDx, Conv2d's backward writes dx without reading it (on Winograd the output transform stores, elsewhere
     * dx is zeroed first): a dx full of NaN comes out as the reference, on both layouts (9 images: 8 in lanes).
     */
    @Test
    void conv2dBackwardSetsDxWithoutReadingIt() {
        Conv2d.Geometry g = new Conv2d.Geometry(9, 17, 14, 13, 18, 3, 3, 1, 1);
        SplittableRandom rng = new SplittableRandom(36);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.k()));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * g.h() * g.w()));
        float[] dx = Numerics.guardedFilled(x.length, Float.NaN);
        Conv2d.backward(g, Numerics.view(guarded(dy)), Numerics.view(guarded(x)), Numerics.view(guarded(w)),
                Numerics.view(dx), true, null, null, new float[Conv2d.scratchSize(g)]);
        assertGuardedClose(Reference.conv2dBackward(g, dy, x, w)[0], dx, TOLERANCE, "dx set " + g);
    }

    /**
     * The measured rule of auto (the suite runs under it): without AVX-512 (the products' 6 x 2 block) Winograd takes
     * every pass from 7x7 with 16 channels each way; with AVX-512 (8 x 3) nothing.
     */
    @Test
    void autoRunsWinogradWhereItMeasuredFaster() {
        boolean narrowBlock = !VectorConv.WIDE;
        assertEquals(narrowBlock, Winograd.Choice.applies(new Conv2d.Geometry(2, 17, 28, 28, 18, 3, 3, 1, 1)));
        assertEquals(narrowBlock, Winograd.Choice.applies(new Conv2d.Geometry(2, 33, 28, 27, 35, 3, 3, 1, 1)));
        assertEquals(narrowBlock, Winograd.Choice.applies(new Conv2d.Geometry(64, 32, 14, 14, 64, 3, 3, 1, 1)));
        assertEquals(narrowBlock, Winograd.Choice.applies(new Conv2d.Geometry(64, 128, 7, 7, 64, 3, 3, 1, 1)));
        assertFalse(Winograd.Choice.applies(new Conv2d.Geometry(2, 15, 28, 28, 32, 3, 3, 1, 1)), "15 input channels");
        assertFalse(Winograd.Choice.applies(new Conv2d.Geometry(2, 32, 28, 28, 1, 3, 3, 1, 1)), "1 output channel");
        assertFalse(Winograd.Choice.applies(new Conv2d.Geometry(2, 64, 6, 7, 64, 3, 3, 1, 1)), "6 rows");
        assertFalse(Winograd.Choice.applies(new Conv2d.Geometry(2, 64, 14, 14, 64, 3, 3, 2, 1)), "stride 2");
    }

    /**
     * Each tile reads its own image only and each output is summed in its own lane in one fixed order: an image's
     * output is bit for bit the same alone or inside a batch, at any position. Two batches, sized from the machine's
     * vector width so that both paths run on AVX2 (8 lanes) and AVX-512 (16) alike: LANES - 1 images go by tile
     * rows, with groups starting inside images and the image alone in a group of another size; LANES + 1 images run
     * their first LANES in lanes and the last by tile rows, as an image alone does. 22 x 22 images have 6 x 6 tiles,
     * the last row and column cropped, so that an image alone fills less than a group on either width (28 x 28's
     * 49 tiles round up to AVX-512's whole group of 96).
     */
    @Test
    void anImageGivesTheSameBitsAloneAndInsideABatch() {
        Conv2d.Geometry single = new Conv2d.Geometry(1, 6, 22, 22, 5, 3, 3, 1, 1);
        int tilesPerImage = 36;
        Conv2d.Geometry byRows = new Conv2d.Geometry(VectorConv.LANES - 1, 6, 22, 22, 5, 3, 3, 1, 1);
        assertTrue(tilesPerImage % Winograd.group(byRows) != 0 && byRows.n() * tilesPerImage > Winograd.group(byRows),
                "groups must start inside images for this test to mean anything");
        assertTrue(Winograd.group(single) < Winograd.group(byRows), "the image alone takes a group of its own tiles");
        assertSameBitsAloneAndInside(byRows, single);
        assertSameBitsAloneAndInside(new Conv2d.Geometry(VectorConv.LANES + 1, 6, 22, 22, 5, 3, 3, 1, 1), single);
    }

    private static void assertSameBitsAloneAndInside(Conv2d.Geometry batch, Conv2d.Geometry single) {
        SplittableRandom rng = new SplittableRandom(34);
        int pixels = batch.h() * batch.w();
        int inImage = batch.cin() * pixels;
        int outImage = batch.cout() * pixels;
        float[] x = guarded(randn(rng, batch.n() * inImage));
        float[] w = guarded(randn(rng, batch.cout() * batch.k()));
        float[] b = guarded(randn(rng, batch.cout()));
        float[] y = new float[batch.n() * outImage];
        Winograd.forward(batch, x, GUARD, w, GUARD, b, GUARD, y, 0, nanScratch(batch));
        float[] dx = new float[batch.n() * inImage];
        Winograd.inputGradient(batch, y, 0, w, GUARD, dx, 0, nanScratch(batch));
        for (int i = 0; i < batch.n(); i++) {
            float[] alone = new float[outImage];
            Winograd.forward(single, x, GUARD + i * inImage, w, GUARD, b, GUARD, alone, 0, nanScratch(single));
            assertArrayEquals(alone, Arrays.copyOfRange(y, i * outImage, (i + 1) * outImage),
                    "y of image " + i + " of " + batch.n());
            float[] dxAlone = new float[inImage];
            Winograd.inputGradient(single, y, i * outImage, w, GUARD, dxAlone, 0, nanScratch(single));
            assertArrayEquals(dxAlone, Arrays.copyOfRange(dx, i * inImage, (i + 1) * inImage),
                    "dx of image " + i + " of " + batch.n());
        }
    }

    @Test
    void refusesOtherGeometries() {
        Conv2d.Geometry stride2 = new Conv2d.Geometry(1, 1, 6, 6, 1, 3, 3, 2, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> Winograd.forward(stride2, new float[36], 0,
                new float[9], 0, null, 0, new float[9], 0, new float[1 << 16]));
        assertTrue(e.getMessage().contains("needs a 3x3 kernel, stride 1 and padding 1"), e.getMessage());
        Conv2d.Geometry fiveByFive = new Conv2d.Geometry(1, 1, 6, 6, 1, 5, 5, 1, 2);
        assertThrows(IllegalArgumentException.class, () -> Winograd.inputGradient(fiveByFive, new float[36], 0,
                new float[25], 0, new float[36], 0, new float[1 << 16]));
    }

    private static float[] nanScratch(Conv2d.Geometry g) {
        float[] s = new float[(int) Winograd.scratchSize(g)];
        Arrays.fill(s, Float.NaN);
        return s;
    }
}
