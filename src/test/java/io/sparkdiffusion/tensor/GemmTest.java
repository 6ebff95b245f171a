package io.sparkdiffusion.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class GemmTest {
    /** float32 products of k terms of size ~1: relative error well under 1e-5 for k <= 100. */
    private static final double TOLERANCE = 1e-5;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String impl : new String[] {"default", "java"}) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    b.add(Arguments.of(impl, ta, tb, 5, 7, 3));
                    b.add(Arguments.of(impl, ta, tb, 1, 9, 13));
                    b.add(Arguments.of(impl, ta, tb, 33, 17, 65));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void rowMajorProductMatchesTripleLoop(String impl, boolean transA, boolean transB, int m, int n, int k) {
        SplittableRandom rng = new SplittableRandom(m * 1000L + n * 10L + k);
        // Stored shapes and padded leading dimensions (row strides larger than the rows).
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        int lda = aCols + 2;
        int ldb = bCols + 3;
        int ldc = n + 1;
        int aOff = 4;
        int bOff = 7;
        int cOff = 2;
        float[] a = random(rng, aOff + aRows * lda);
        float[] b = random(rng, bOff + bRows * ldb);
        float[] c = random(rng, cOff + m * ldc + 3);
        float[] c0 = c.clone();
        float alpha = 0.75f;
        float beta = -0.5f;
        BLAS blas = impl.equals("java") ? JavaBLAS.getInstance() : null;
        if (blas == null) {
            Gemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            Gemm.sgemm(blas, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0.0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                double expected = alpha * s + beta * c0[cOff + i * ldc + j];
                assertEquals(expected, c[cOff + i * ldc + j], TOLERANCE * Math.max(1.0, Math.sqrt(k)),
                        "C[" + i + "," + j + "]");
            }
            // Padding between rows of C is untouched.
            for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
                assertEquals(c0[cOff + i * ldc + j], c[cOff + i * ldc + j], 0.0, "padding of C row " + i);
            }
        }
        assertEquals(c0[0], c[0], 0.0, "before C's offset");
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        float[] c = {Float.NaN, Float.NaN};
        Gemm.sgemm(false, false, 1, 2, 1, 1f, new float[] {2f}, 0, 1, new float[] {3f, 4f}, 0, 2, 0f, c, 0, 2);
        assertEquals(6f, c[0]);
        assertEquals(8f, c[1]);
    }

    @Test
    void rejectsOperandsThatDoNotFit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(false, false,
                2, 2, 2, 1f, new float[3], 0, 2, new float[4], 0, 2, 0f, new float[4], 0, 2));
        assertTrue(e.getMessage().contains("sgemm A"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(false, false,
                2, 2, 2, 1f, new float[4], 0, 1, new float[4], 0, 2, 0f, new float[4], 0, 2));
    }

    @Test
    void namesTheImplementation() {
        String impl = Gemm.implementation();
        assertTrue(impl.startsWith("native:") || impl.startsWith("java:"), impl);
        assertEquals(Gemm.isNative(), impl.startsWith("native:"));
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * rng.nextDouble() - 1);
        }
        return a;
    }
}
