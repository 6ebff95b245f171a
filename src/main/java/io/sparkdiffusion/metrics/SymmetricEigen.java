package io.sparkdiffusion.metrics;

import dev.ludovic.netlib.lapack.LAPACK;
import org.netlib.util.intW;

/**
 * Eigendecompositions of real symmetric matrices by LAPACK's {@code dsyevd} (divide and conquer), through the
 * netlib-java {@code LAPACK} that ships with spark-mllib (native when the machine has a LAPACK it loads, pure
 * Java otherwise; the choice is logged once).
 *
 * <p>A symmetric {@code A = V diag(w) V^T}: row-major and column-major storage of a symmetric matrix are the same
 * array, so no transposes are needed on the way in; the eigenvectors come back column-major (column k of
 * {@code V} is {@code vectors[k * d, (k + 1) * d)}).
 */
final class SymmetricEigen {
    private static final LAPACK LAPACK_IMPL = choose();

    /**
     * @param values  ascending eigenvalues, {@code [d]}
     * @param vectors the orthonormal eigenvectors, column-major {@code [d, d]}: eigenvector k is
     *                {@code vectors[k * d .. (k + 1) * d)}
     */
    record Result(double[] values, double[] vectors) {
    }

    private SymmetricEigen() {
    }

    private static LAPACK choose() {
        LAPACK lapack = LAPACK.getInstance();
        System.getLogger(SymmetricEigen.class.getName()).log(System.Logger.Level.INFO,
                "spark-diffusion LAPACK: " + lapack.getClass().getSimpleName());
        return lapack;
    }

    /** Which LAPACK is in use, e.g. {@code JNILAPACK} (native) or {@code F2jLAPACK} (Java). */
    static String implementation() {
        return LAPACK_IMPL.getClass().getSimpleName();
    }

    /** Eigenvalues and eigenvectors of the symmetric {@code a} ({@code [d, d]}, not modified; upper triangle read). */
    static Result decompose(double[] a, int d, String what) {
        requireSquare(a, d, what);
        double[] v = a.clone();
        double[] w = new double[d];
        intW info = new intW(0);
        // Workspace query first (lwork = liwork = -1), then the decomposition.
        double[] work = new double[1];
        int[] iwork = new int[1];
        LAPACK_IMPL.dsyevd("V", "U", d, v, d, w, work, -1, iwork, -1, info);
        check(info, what);
        work = new double[(int) work[0]];
        iwork = new int[iwork[0]];
        LAPACK_IMPL.dsyevd("V", "U", d, v, d, w, work, work.length, iwork, iwork.length, info);
        check(info, what);
        return new Result(w, v);
    }

    /**
     * The symmetric square root {@code V diag(sqrt(max(w, 0))) V^T} of a symmetric positive semi-definite
     * {@code a}. Eigenvalues below zero are rounding noise of a PSD matrix and are taken as 0; one below
     * {@code -tolerance * max |w|} means {@code a} is not PSD, and is an error naming {@code what}.
     */
    static double[] sqrtPsd(double[] a, int d, String what) {
        Result e = decompose(a, d, what);
        double[] w = e.values();
        double[] v = e.vectors();
        double[] root = new double[d];
        double scale = Math.max(Math.abs(w[0]), Math.abs(w[d - 1]));
        for (int k = 0; k < d; k++) {
            requirePsd(w[k], scale, what);
            root[k] = Math.sqrt(Math.max(w[k], 0));
        }
        double[] out = new double[d * d];
        for (int k = 0; k < d; k++) {
            if (root[k] == 0) {
                continue;
            }
            int col = k * d;
            for (int i = 0; i < d; i++) {
                double vik = v[col + i] * root[k];
                int row = i * d;
                for (int j = 0; j < d; j++) {
                    out[row + j] += vik * v[col + j];
                }
            }
        }
        return out;
    }

    /** Relative size of a negative eigenvalue still taken as rounding noise of a PSD matrix. */
    static final double PSD_TOLERANCE = 1e-9;

    static void requirePsd(double eigenvalue, double scale, String what) {
        if (eigenvalue < -PSD_TOLERANCE * scale) {
            throw new IllegalArgumentException(what + " is not positive semi-definite: it has the eigenvalue "
                    + eigenvalue + " (largest magnitude " + scale + "); a covariance matrix must be PSD");
        }
    }

    static void requireSquare(double[] a, int d, String what) {
        if (d < 1 || a.length != d * d) {
            throw new IllegalArgumentException(what + ": expected a " + d + " x " + d + " matrix (" + (long) d * d
                    + " values), got " + a.length + " values");
        }
        for (double x : a) {
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException(what + " holds a non-finite value " + x);
            }
        }
    }

    private static void check(intW info, String what) {
        if (info.val != 0) {
            throw new IllegalStateException("LAPACK dsyevd failed on " + what + " (info = " + info.val
                    + (info.val > 0 ? ": the algorithm did not converge" : ": an illegal argument") + ")");
        }
    }
}
