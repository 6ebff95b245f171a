package io.sparkdiffusion.tensor;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.util.Locale;

/**
 * Row-major single-precision matrix product, the one place that calls BLAS.
 *
 * <pre>
 *   C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n]
 *   op(A) = A [m, k] (row stride lda)  or  A^T with A stored as [k, m] (row stride lda) when transA
 *   op(B) = B [k, n] (row stride ldb)  or  B^T with B stored as [n, k] (row stride ldb) when transB
 * </pre>
 *
 * <p>BLAS is column-major; a row-major matrix is its transpose seen column-major, so {@code C^T = op(B)^T op(A)^T}
 * is one column-major {@code sgemm} with the operands swapped and no copies.
 *
 * <p>Which BLAS: the system property {@code sparkdiffusion.blas} is {@code auto} (default: what
 * {@code dev.ludovic.netlib} picks, native {@code libblas.so.3}, e.g. OpenBLAS, when it loads, pure Java
 * otherwise), {@code native} (native or fail) or {@code java} (pure Java: VectorBLAS on JDK 16+ with
 * {@code jdk.incubator.vector}, else F2jBLAS). netlib's own {@code -Ddev.ludovic.netlib.blas.allowNative=false}
 * also forces Java under {@code auto}. The choice is logged once. Native OpenBLAS should run with
 * {@code OPENBLAS_NUM_THREADS=1} inside Spark tasks (one task per core already).
 */
public final class Gemm {
    /** The system property that selects the BLAS: {@code auto}, {@code native} or {@code java}. */
    public static final String BLAS_PROPERTY = "sparkdiffusion.blas";

    private static final BLAS BLAS_IMPL = choose();

    private Gemm() {
    }

    private static BLAS choose() {
        String mode = System.getProperty(BLAS_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        BLAS blas = switch (mode) {
            case "auto" -> BLAS.getInstance();
            case "java" -> JavaBLAS.getInstance();
            case "native" -> NativeBLAS.getInstance();
            default -> throw new IllegalArgumentException(
                    BLAS_PROPERTY + " must be one of auto, native, java; got '" + mode + "'");
        };
        System.getLogger(Gemm.class.getName()).log(System.Logger.Level.INFO,
                "spark-diffusion BLAS: " + describe(blas) + " (" + BLAS_PROPERTY + "=" + mode + ")");
        return blas;
    }

    private static String describe(BLAS blas) {
        String name = blas.getClass().getSimpleName();
        if (blas instanceof NativeBLAS) {
            String lib = System.getProperty("dev.ludovic.netlib.blas.nativeLib", "libblas.so.3");
            return "native:" + name + " (" + lib + ")";
        }
        return "java:" + name;
    }

    /** Which BLAS is in use, e.g. {@code "native:JNIBLAS (libblas.so.3)"} or {@code "java:VectorBLAS"}. */
    public static String implementation() {
        return describe(BLAS_IMPL);
    }

    /** True when a native BLAS library was loaded. */
    public static boolean isNative() {
        return BLAS_IMPL instanceof NativeBLAS;
    }

    /**
     * Row-major {@code C = alpha op(A) op(B) + beta C} (see the class javadoc for the layouts). With
     * {@code beta == 0} the old contents of C are ignored (NaN included), as in BLAS.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        sgemm(BLAS_IMPL, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** {@link #sgemm} on a given BLAS, so tests can cover both the native and the pure-Java path. */
    static void sgemm(BLAS blas, boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        checkOperand("A", a, aOff, lda, transA ? k : m, transA ? m : k);
        checkOperand("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        checkOperand("C", c, cOff, ldc, m, n);
        if (k == 0) {
            // BLAS would only scale C; keep the semantics without a special case in callers.
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c[cOff + i * ldc + j] = beta == 0f ? 0f : beta * c[cOff + i * ldc + j];
                }
            }
            return;
        }
        blas.sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha,
                b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }

    private static void checkOperand(String name, float[] x, int off, int ld, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("sgemm " + name + ": negative extent " + rows + " x " + cols);
        }
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("sgemm " + name + ": leading dimension " + ld
                    + " must be >= the row length " + cols);
        }
        long last = (long) off + (long) (rows - 1) * ld + cols;
        if (off < 0 || (rows > 0 && cols > 0 && last > x.length)) {
            throw new IllegalArgumentException("sgemm " + name + ": a " + rows + " x " + cols + " matrix with row stride "
                    + ld + " at offset " + off + " does not fit in an array of " + x.length + " floats");
        }
    }
}
