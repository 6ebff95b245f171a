package io.sparkdiffusion.tensor.kernels;

/**
 * Copies of image rows between the dense layout ({@code [C, H*W]} planes) and the padded ones of
 * {@link ShiftedConv} and {@link GroupNormSilu.Planes}: the one scalar copy, a {@code System.arraycopy} per row,
 * for the GEMM and scalar engines and for {@link VectorRows}' rows narrower than a vector. The vector engines'
 * kernels call {@link #copy(boolean, float[], int, int, float[], int, int, int, int)} with their engine's choice;
 * this class itself never loads the Vector API, so the scalar engines run without the module.
 */
final class Rows {
    private Rows() {
    }

    /**
     * dst[d + r*dStride + j] = src[s + r*sStride + j] for r &lt; rows, j &lt; width: through {@link VectorRows} when
     * {@code vector} (only where the module {@code jdk.incubator.vector} is loaded), else {@link #copy(float[], int,
     * int, float[], int, int, int, int)}. The same bits either way.
     */
    static void copy(boolean vector, float[] src, int s, int sStride, float[] dst, int d, int dStride, int rows,
                     int width) {
        if (vector) {
            VectorRows.copy(src, s, sStride, dst, d, dStride, rows, width);
        } else {
            copy(src, s, sStride, dst, d, dStride, rows, width);
        }
    }

    /** dst[d + r*dStride + j] = src[s + r*sStride + j] for r &lt; rows, j &lt; width: a System.arraycopy per row. */
    static void copy(float[] src, int s, int sStride, float[] dst, int d, int dStride, int rows, int width) {
        for (int r = 0; r < rows; r++, s += sStride, d += dStride) {
            System.arraycopy(src, s, dst, d, width);
        }
    }
}
