package io.sparkdiffusion.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorRows} against the definition element by element: every width from 1 to 3 vectors and a bit (the
 * scalar rows, one whole vector, whole vectors plus an overlapping last one), rows whose strides leave gaps on both
 * sides, destinations filled with a sentinel that must survive everywhere outside the rows.
 */
class VectorRowsTest {
    private static final float SENTINEL = -12345.5f;

    @Test
    void copiesRowsExactlyAndWritesNothingOutsideThem() {
        for (int width = 1; width <= 3 * VectorRows.LANES + 5; width++) {
            check(width, false, 0f);
        }
    }

    @Test
    void addsTheConstantToEveryElementOfTheRows() {
        for (int width = 1; width <= 3 * VectorRows.LANES + 5; width++) {
            check(width, true, 0.37f);
            check(width, true, -3.25f);
        }
    }

    private static void check(int width, boolean plus, float add) {
        int rows = 4;
        int sStride = width + 3;
        int dStride = width + 2;
        int s0 = 5;
        int d0 = 7;
        SplittableRandom random = new SplittableRandom(width * 31L + (plus ? 1 : 0));
        float[] src = new float[s0 + rows * sStride + 4];
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) random.nextGaussian();
        }
        float[] dst = new float[d0 + rows * dStride + 4];
        java.util.Arrays.fill(dst, SENTINEL);
        if (plus) {
            VectorRows.copyPlus(src, s0, sStride, dst, d0, dStride, rows, width, add);
        } else {
            VectorRows.copy(src, s0, sStride, dst, d0, dStride, rows, width);
        }
        for (int i = 0; i < dst.length; i++) {
            int r = (i - d0) / dStride;
            int j = (i - d0) % dStride;
            boolean inside = i >= d0 && r < rows && j < width;
            float want = inside ? (plus ? src[s0 + r * sStride + j] + add : src[s0 + r * sStride + j]) : SENTINEL;
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(dst[i]),
                    "width " + width + (plus ? " plus " + add : "") + ", dst[" + i + "]"
                            + (inside ? " (row " + r + ", column " + j + ")" : " (outside the rows)"));
        }
    }
}
