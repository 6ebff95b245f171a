package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.GUARD;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertGuardedClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.floats;
import static io.sparkdiffusion.tensor.kernels.Numerics.guarded;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The upsampling convolution against the double-precision reference of what it replaces: nearest-neighbour 2x
 * upsampling, then the 3x3 padding-1 convolution of the upsampled image (its backward: the convolution's, then the
 * upsampling's 2x2 block sums).
 */
class UpsampleConvTest {
    /** Summed taps round once more than the direct sum: within the Winograd tests' tolerance. */
    private static final double TOLERANCE = 5e-5;

    /** Odd, even and non-square sizes; one and several chunks, the last one short (20 = 9 + 9 + 2 at 14x14). */
    static Stream<UpsampleConv.Geometry> geometries() {
        return Stream.of(
                new UpsampleConv.Geometry(1, 1, 1, 1, 1),      // one pixel: every output tap reads padding or it
                new UpsampleConv.Geometry(2, 3, 4, 5, 6),      // non-square
                new UpsampleConv.Geometry(3, 17, 7, 7, 18),    // unet-small's 7 -> 14, fewer channels
                new UpsampleConv.Geometry(20, 16, 14, 14, 64)); // 14 -> 28 at unet-small's width: three chunks
    }

    @Test
    void theLastGeometrySpansChunks() {
        UpsampleConv.Geometry g = new UpsampleConv.Geometry(20, 16, 14, 14, 64);
        assertTrue(g.chunk() < g.n() && g.n() % g.chunk() != 0, "chunk " + g.chunk());
    }

    private static double[] upsampledReference(UpsampleConv.Geometry g, double[] x, double[] w, double[] b) {
        double[] up = Reference.upsampleForward(x, g.n() * g.cin(), g.h(), g.w());
        return Reference.conv2dForward(g.upsampled(), up, w, b);
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void forwardMatchesTheUpsampledConvolution(UpsampleConv.Geometry g) {
        SplittableRandom rng = new SplittableRandom(41);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.cin() * 9));
        double[] b = floatRounded(randn(rng, g.cout()));
        float[] y = Numerics.guardedFilled(g.n() * g.cout() * 4 * g.h() * g.w(), Float.NaN);
        UpsampleConv.forward(g, view(guarded(x)), view(guarded(w)), view(guarded(b)), view(y), nanWork(g),
                nanScratch(g));
        assertGuardedClose(upsampledReference(g, x, w, b), y, TOLERANCE, "y " + g);

        float[] noBias = Numerics.guardedFilled(y.length - 2 * GUARD, Float.NaN);
        UpsampleConv.forward(g, view(guarded(x)), view(guarded(w)), null, view(noBias), nanWork(g), nanScratch(g));
        assertGuardedClose(upsampledReference(g, x, w, new double[g.cout()]), noBias, TOLERANCE,
                "y without bias " + g);
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void backwardAccumulatesTheUpsampledConvolutionsGradients(UpsampleConv.Geometry g) {
        SplittableRandom rng = new SplittableRandom(42);
        double[] x = floatRounded(randn(rng, g.n() * g.cin() * g.h() * g.w()));
        double[] w = floatRounded(randn(rng, g.cout() * g.cin() * 9));
        double[] dy = floatRounded(randn(rng, g.n() * g.cout() * 4 * g.h() * g.w()));
        double[] dx0 = floatRounded(randn(rng, x.length));
        double[] dw0 = floatRounded(randn(rng, w.length));
        double[] db0 = floatRounded(randn(rng, g.cout()));
        Conv2d.Geometry up = g.upsampled();
        double[][] ref = Reference.conv2dBackward(up, dy,
                Reference.upsampleForward(x, g.n() * g.cin(), g.h(), g.w()), w);
        double[] dx = Reference.upsampleBackward(ref[0], g.n() * g.cin(), g.h(), g.w());
        double[] db = new double[g.cout()];
        int plane = 4 * g.h() * g.w();
        for (int i = 0; i < dy.length; i++) {
            db[i / plane % g.cout()] += dy[i];
        }

        float[] fdx = guarded(dx0);
        float[] fdw = guarded(dw0);
        float[] fdb = guarded(db0);
        UpsampleConv.backward(g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), view(fdx), view(fdw),
                view(fdb), nanWork(g), nanScratch(g));
        assertGuardedClose(plus(dx0, dx), fdx, TOLERANCE, "dx " + g);
        assertGuardedClose(plus(dw0, ref[1]), fdw, TOLERANCE, "dw " + g);
        assertGuardedClose(plus(db0, db), fdb, TOLERANCE, "db " + g);

        // Each gradient alone: the others not wanted.
        float[] onlyDx = guarded(dx0);
        UpsampleConv.backward(g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), view(onlyDx), null, null,
                nanWork(g), nanScratch(g));
        assertArrayEquals(fdx, onlyDx, 0f, "dx alone " + g);
        float[] onlyDw = guarded(dw0);
        UpsampleConv.backward(g, view(guarded(dy)), view(guarded(x)), view(guarded(w)), null, view(onlyDw), null,
                nanWork(g), nanScratch(g));
        assertArrayEquals(fdw, onlyDw, 0f, "dw alone " + g);
    }

    /** On the vector engine an image's output is the same bits alone and at any position in a batch. */
    @Test
    void anImageGivesTheSameBitsAloneAndInsideABatch() {
        assertTrue(Conv2d.batchInvariant(), "the tests run on the vector engine (surefire loads jdk.incubator.vector)");
        UpsampleConv.Geometry batch = new UpsampleConv.Geometry(11, 6, 14, 14, 64);
        UpsampleConv.Geometry single = new UpsampleConv.Geometry(1, 6, 14, 14, 64);
        SplittableRandom rng = new SplittableRandom(43);
        float[] x = floats(randn(rng, batch.n() * batch.cin() * 196));
        float[] w = floats(randn(rng, batch.cout() * batch.cin() * 9));
        float[] b = floats(randn(rng, batch.cout()));
        int inImage = batch.cin() * 196;
        int outImage = batch.cout() * 4 * 196;
        float[] y = new float[batch.n() * outImage];
        UpsampleConv.forward(batch, t(x), t(w), t(b), t(y), nanWork(batch), nanScratch(batch));
        for (int i = 0; i < batch.n(); i++) {
            float[] alone = new float[outImage];
            UpsampleConv.forward(single, new Tensor(x, i * inImage, Shape.of(inImage)), t(w), t(b), t(alone),
                    nanWork(single), nanScratch(single));
            assertArrayEquals(alone, Arrays.copyOfRange(y, i * outImage, (i + 1) * outImage), 0f, "image " + i);
        }
    }

    @Test
    void namesWhatIsTooSmall() {
        UpsampleConv.Geometry g = new UpsampleConv.Geometry(2, 3, 4, 4, 5);
        float[] work = new float[(int) UpsampleConv.workSize(g)];
        float[] scratch = new float[UpsampleConv.scratchSize(g)];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UpsampleConv.forward(g,
                Tensor.zeros(2, 3, 4, 4), Tensor.zeros(5, 3, 3, 3), null, Tensor.zeros(2, 5, 8, 7), work, scratch));
        assertTrue(e.getMessage().equals("upsampled conv2d y: expected 640 floats, a view of [N, Cout, 2H, 2W] = "
                + "[2, 5, 8, 8], got 560 ([2, 5, 8, 7])"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> UpsampleConv.forward(g, Tensor.zeros(2, 3, 4, 4),
                Tensor.zeros(5, 3, 3, 3), null, Tensor.zeros(2, 5, 8, 8), new float[work.length - 1], scratch));
        assertTrue(e.getMessage().startsWith("upsampled conv2d work holds " + (work.length - 1) + " floats, needs "
                + work.length), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new UpsampleConv.Geometry(2, 0, 4, 4, 5));
        assertTrue(e.getMessage().startsWith("upsampled conv2d sizes must be positive"), e.getMessage());
    }

    private static Tensor t(float[] a) {
        return new Tensor(a, 0, Shape.of(a.length));
    }

    /** Work and scratch start as NaN: any read of a value the kernel did not set would poison the result. */
    private static float[] nanWork(UpsampleConv.Geometry g) {
        float[] a = new float[(int) UpsampleConv.workSize(g)];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    private static float[] nanScratch(UpsampleConv.Geometry g) {
        float[] a = new float[UpsampleConv.scratchSize(g)];
        Arrays.fill(a, Float.NaN);
        return a;
    }
}
