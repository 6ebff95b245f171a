package io.sparkdiffusion.diffusion;

/**
 * The ideal denoiser {@code D(x; sigma, label)} of Karras et al. 2022 (Eq. 2), on a batch: given noisy data
 * {@code x = y + sigma * n} (unscaled, i.e. before any {@code s(t)}), returns an estimate of the clean {@code y}.
 *
 * <p>Layout: {@code x} and {@code out} hold {@code n} rows of {@code dim} values, row-major ({@code x[i * dim + j]});
 * an image is a flattened CHW row. {@code sigma[i]} is the noise level of row {@code i}. {@code labels} is
 * {@code null} (unconditional) or holds one class label per row, {@code -1} meaning "no label".
 *
 * <p>Implementations must treat rows independently (row {@code i} of {@code out} depends only on row {@code i} of
 * the inputs): the samplers rely on this for results that do not depend on the batch a sample is drawn in.
 * They must not modify {@code x}, {@code sigma} or {@code labels}.
 */
@FunctionalInterface
public interface Denoiser {

    /** Label value meaning "unconditional" (classifier-free guidance drops the label this way). */
    int NO_LABEL = -1;

    /**
     * Writes {@code D(x_i; sigma_i, label_i)} for every row {@code i < n} into {@code out}.
     *
     * @param x      noisy rows, {@code [n, dim]} row-major, unscaled
     * @param sigma  noise level per row, {@code [n]}, {@code > 0}
     * @param labels class label per row, {@code [n]}, {@code -1} = none; or {@code null} for all unconditional
     * @param n      number of rows
     * @param dim    values per row
     * @param out    denoised rows, {@code [n, dim]}; may not alias {@code x}
     */
    void denoise(double[] x, double[] sigma, int[] labels, int n, int dim, double[] out);
}
