package io.sparkdiffusion.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorConv#product} and {@link VectorConv#correlateOuter} against their definitions summed in double: the
 * product with term offsets evenly spaced (the strided path) and with offsets that look even until the last term or
 * start with a shift (the general path), and the correlation with term counts on both sides of its 6-term blocks.
 */
class VectorConvTest {
    private static final double TOLERANCE = 1e-5;

    @Test
    void productFollowsEveryTermOffsetEvenOrNot() {
        int terms = 7;
        int stride = 3 * VectorConv.BLOCK + 5;
        int[] even = new int[terms];
        for (int j = 0; j < terms; j++) {
            even[j] = j * stride;
        }
        int[] lastOff = even.clone();
        lastOff[terms - 1] += 1;
        int[] shiftedFirst = even.clone();
        shiftedFirst[0] = 2;
        for (int rows : new int[] {1, 5, 6, 13}) {
            for (int[] termAt : new int[][] {even, lastOff, shiftedFirst}) {
                checkProduct(rows, terms, termAt, stride, 2 * VectorConv.BLOCK);
            }
        }
    }

    @Test
    void correlateOuterSumsEveryTermPastTheLastWholeBlock() {
        int rows = 2 * VectorConv.LANES;
        for (int terms : new int[] {1, 2, 4, 5, 6, 7, 11, 12, 14}) {
            checkCorrelateOuter(rows, terms, 37);
        }
    }

    private static void checkProduct(int rows, int terms, int[] termAt, int inStride, int cols) {
        SplittableRandom random = new SplittableRandom(rows * 131L + termAt[terms - 1] + termAt[0]);
        float[] a = gaussian(random, rows * terms);
        float[] ap = new float[VectorConv.packedSize(rows, terms, 1)];
        VectorConv.pack(rows, terms, 1, a, 0, terms, 1, 1, ap, 0);
        float[] in = gaussian(random, terms * inStride + cols + VectorConv.BLOCK + 2);
        int outStride = cols + 3;
        float[] out = new float[rows * outStride + VectorConv.BLOCK];
        VectorConv.product(rows, terms, ap, 0, in, 0, termAt, out, 0, outStride, cols, false);
        for (int r = 0; r < rows; r++) {
            for (int p = 0; p < cols; p++) {
                double expected = 0;
                for (int j = 0; j < terms; j++) {
                    expected += (double) a[r * terms + j] * in[termAt[j] + p];
                }
                assertEquals(expected, out[r * outStride + p], TOLERANCE * (1 + Math.abs(expected)),
                        "row " + r + ", column " + p + ", term offsets " + java.util.Arrays.toString(termAt));
            }
        }
    }

    private static void checkCorrelateOuter(int rows, int terms, int cols) {
        SplittableRandom random = new SplittableRandom(terms * 17L + cols);
        int inStride = cols + 4;
        int[] termAt = new int[terms];
        for (int j = 0; j < terms; j++) {
            termAt[j] = j * inStride;
        }
        float[] eT = gaussian(random, cols * rows);
        float[] in = gaussian(random, terms * inStride);
        float[] start = gaussian(random, terms * rows);
        float[] dT = start.clone();
        VectorConv.correlateOuter(rows, terms, eT, 0, rows, in, 0, termAt, dT, 0, rows, cols);
        for (int j = 0; j < terms; j++) {
            for (int r = 0; r < rows; r++) {
                double expected = start[j * rows + r];
                for (int p = 0; p < cols; p++) {
                    expected += (double) in[termAt[j] + p] * eT[p * rows + r];
                }
                assertEquals(expected, dT[j * rows + r], TOLERANCE * (1 + Math.abs(expected)),
                        terms + " terms: term " + j + ", row " + r);
            }
        }
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
