package io.sparkdiffusion.diffusion;

/**
 * A {@link Denoiser} that also gives the quadratic form of its Jacobian, {@code v^T (dD/dx) v}, exactly (for
 * instance by one reverse-mode pass: {@code v . (dD/dx)^T v}), which {@link Likelihood}'s trace estimator uses
 * instead of central differences. Same row layout and independence as {@link Denoiser}.
 */
public interface DenoiserJacobian extends Denoiser {

    /**
     * Writes {@code v_i^T (dD/dx)(x_i; sigma_i, label_i) v_i} for every row {@code i < n} into {@code out[i]}.
     *
     * @param v   the probe rows, {@code [n, dim]}
     * @param out {@code [n]}
     */
    void jacobianQuadraticForm(double[] x, double[] sigma, int[] labels, int n, int dim, double[] v, double[] out);
}
