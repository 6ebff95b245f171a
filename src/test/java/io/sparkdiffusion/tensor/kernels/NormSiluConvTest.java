package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * NormSiluConv against GroupNormSilu then Conv2d (each tested against the double-precision reference in its own
 * test): the same bits, whatever the padded buffer held before. The tape-level joins are TapeTest's.
 */
class NormSiluConvTest {
    private static final float EPS = 1e-5f;

    private static Tensor random(SplittableRandom r, int... dims) {
        Shape shape = Shape.of(dims);
        double[] d = randn(r, shape.size());
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return new Tensor(f, 0, shape);
    }

    @Test
    void givesTheTwoKernelsBitsOverADirtyPaddedBuffer() {
        assertTrue(Conv2d.batchInvariant(), "the tests run on the vector engine (surefire loads jdk.incubator.vector)");
        SplittableRandom r = new SplittableRandom(5);
        // 7x7 at 18 images per chunk: 18 + 18 + 4; 32 output channels take the transposed weight gradient; 12 input
        // channels keep Winograd out on machines without AVX-512 (it takes 16 or more each way), so the fusion runs.
        int n = 40;
        int cin = 12;
        int cout = 32;
        int groups = 4;
        Conv2d.Geometry g = new Conv2d.Geometry(n, cin, 7, 7, cout, 3, 3, 1, 1);
        GroupNorm.Geometry norm = new GroupNorm.Geometry(n, cin, 49, groups);
        assertTrue(NormSiluConv.fuses(g));
        Tensor x = random(r, n, cin, 7, 7);
        Tensor gamma = random(r, cin);
        Tensor beta = random(r, cin);
        Tensor w = random(r, cout, cin, 3, 3);
        Tensor b = random(r, cout);
        Tensor dy = random(r, n, cout, 7, 7);
        float[] scratch = new float[NormSiluConv.scratchSize(g)];
        GroupNormSilu.Scratch normScratch = new GroupNormSilu.Scratch(49, cin / groups * 49);

        // The two kernels.
        Tensor mean = Tensor.zeros(n * groups);
        Tensor rstd = Tensor.zeros(n * groups);
        Tensor h = Tensor.zeros(n, cin, 7, 7);
        GroupNormSilu.forward(norm, x, gamma, beta, h, mean, rstd, EPS, normScratch);
        Tensor y = Tensor.zeros(n, cout, 7, 7);
        Conv2d.forward(g, h, w, b, y, scratch);
        Tensor dh = Tensor.zeros(n, cin, 7, 7);
        Tensor dw = Tensor.zeros(cout, cin, 3, 3);
        Tensor db = Tensor.zeros(cout);
        Conv2d.backward(g, dy, h, w, dh, dw, db, scratch);
        Tensor dx = Tensor.zeros(n, cin, 7, 7);
        Tensor dgamma = Tensor.zeros(cin);
        Tensor dbeta = Tensor.zeros(cin);
        GroupNormSilu.backward(norm, dh, x, mean, rstd, gamma, beta, dx, dgamma, dbeta, normScratch);

        // Fused, into a padded buffer full of NaN at an offset.
        int off = 3;
        float[] xp = new float[Math.toIntExact(off + NormSiluConv.paddedSize(g))];
        Arrays.fill(xp, Float.NaN);
        Arrays.fill(scratch, Float.NaN);
        Tensor fMean = Tensor.zeros(n * groups);
        Tensor fRstd = Tensor.zeros(n * groups);
        Tensor fy = Tensor.zeros(n, cout, 7, 7);
        NormSiluConv.forward(norm, g, x, gamma, beta, fMean, fRstd, EPS, normScratch, xp, off, w, b, fy, scratch);
        Tensor fdx = Tensor.zeros(n, cin, 7, 7);
        Tensor fdgamma = Tensor.zeros(cin);
        Tensor fdbeta = Tensor.zeros(cin);
        Tensor fdw = Tensor.zeros(cout, cin, 3, 3);
        Tensor fdb = Tensor.zeros(cout);
        NormSiluConv.backward(norm, g, dy, xp, off, x, fMean, fRstd, gamma, beta, w, fdx, fdgamma, fdbeta, fdw, fdb,
                normScratch, scratch);

        assertArrayEquals(mean.toArray(), fMean.toArray(), 0f, "mean");
        assertArrayEquals(rstd.toArray(), fRstd.toArray(), 0f, "rstd");
        assertArrayEquals(y.toArray(), fy.toArray(), 0f, "y");
        assertArrayEquals(dx.toArray(), fdx.toArray(), 0f, "dx");
        assertArrayEquals(dgamma.toArray(), fdgamma.toArray(), 0f, "dgamma");
        assertArrayEquals(dbeta.toArray(), fdbeta.toArray(), 0f, "dbeta");
        assertArrayEquals(dw.toArray(), fdw.toArray(), 0f, "dw");
        assertArrayEquals(db.toArray(), fdb.toArray(), 0f, "db");
        assertTrue(Float.isNaN(xp[off - 1]), "nothing written before the padded input's offset");

        // The forward alone, each chunk's padded input in one block of a scratch full of NaN.
        float[] inferenceScratch = new float[NormSiluConv.inferenceScratchSize(g)];
        Arrays.fill(inferenceScratch, Float.NaN);
        Tensor iMean = Tensor.zeros(n * groups);
        Tensor iRstd = Tensor.zeros(n * groups);
        Tensor iy = Tensor.zeros(n, cout, 7, 7);
        NormSiluConv.forwardInference(norm, g, x, gamma, beta, iMean, iRstd, EPS, normScratch, w, b, iy,
                inferenceScratch);
        assertArrayEquals(mean.toArray(), iMean.toArray(), 0f, "mean of the forward alone");
        assertArrayEquals(rstd.toArray(), iRstd.toArray(), 0f, "rstd of the forward alone");
        assertArrayEquals(y.toArray(), iy.toArray(), 0f, "y of the forward alone");
        Tensor unbiased = Tensor.zeros(n, cout, 7, 7);
        Conv2d.forward(g, h, w, null, unbiased, scratch);
        NormSiluConv.forwardInference(norm, g, x, gamma, beta, iMean, iRstd, EPS, normScratch, w, null, iy,
                inferenceScratch);
        assertArrayEquals(unbiased.toArray(), iy.toArray(), 0f, "y of the forward alone without a bias");
    }

    @Test
    void refusesWhatItDoesNotFuse() {
        Conv2d.Geometry pointwise = new Conv2d.Geometry(2, 4, 7, 7, 8, 1, 1, 1, 0);
        assertFalse(NormSiluConv.fuses(pointwise));
        GroupNorm.Geometry norm = new GroupNorm.Geometry(2, 4, 49, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NormSiluConv.forward(norm,
                pointwise, Tensor.zeros(2, 4, 7, 7), Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(2),
                Tensor.zeros(2), EPS, new GroupNormSilu.Scratch(49, 196), new float[1 << 16], 0,
                Tensor.zeros(8, 4, 1, 1), null, Tensor.zeros(2, 8, 7, 7), new float[1 << 16]));
        assertTrue(e.getMessage().startsWith("NormSiluConv needs a convolution on the vector shifted products"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NormSiluConv.forwardInference(norm, pointwise,
                Tensor.zeros(2, 4, 7, 7), Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(2), Tensor.zeros(2), EPS,
                new GroupNormSilu.Scratch(49, 196), Tensor.zeros(8, 4, 1, 1), null, Tensor.zeros(2, 8, 7, 7),
                new float[1 << 16]));
        assertTrue(e.getMessage().startsWith("NormSiluConv needs a convolution on the vector shifted products"),
                e.getMessage());

        Conv2d.Geometry g = new Conv2d.Geometry(2, 4, 7, 7, 8, 3, 3, 1, 1);
        GroupNorm.Geometry other = new GroupNorm.Geometry(2, 4, 36, 1);
        e = assertThrows(IllegalArgumentException.class, () -> NormSiluConv.forward(other, g,
                Tensor.zeros(2, 4, 6, 6), Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(2), Tensor.zeros(2), EPS,
                new GroupNormSilu.Scratch(49, 196), new float[1 << 16], 0, Tensor.zeros(8, 4, 3, 3), null,
                Tensor.zeros(2, 8, 7, 7), new float[1 << 16]));
        assertEquals("NormSiluConv: the normalization's [N, C, HW] = [2, 4, 36] must be the convolution's input "
                + "[N, Cin, H*W] = [2, 4, 49]", e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> NormSiluConv.forward(norm, g,
                Tensor.zeros(2, 4, 7, 7), Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(2), Tensor.zeros(2), EPS,
                new GroupNormSilu.Scratch(49, 196), new float[10], 0, Tensor.zeros(8, 4, 3, 3), null,
                Tensor.zeros(2, 8, 7, 7), new float[NormSiluConv.scratchSize(g)]));
        assertTrue(e.getMessage().startsWith("padded input of "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NormSiluConv.forwardInference(norm, g,
                Tensor.zeros(2, 4, 7, 7), Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(2), Tensor.zeros(2), EPS,
                new GroupNormSilu.Scratch(49, 196), Tensor.zeros(8, 4, 3, 3), null, Tensor.zeros(2, 8, 7, 7),
                new float[10]));
        assertTrue(e.getMessage().startsWith("conv2d scratch: expected "), e.getMessage());
    }
}
