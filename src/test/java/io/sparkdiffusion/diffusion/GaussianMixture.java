package io.sparkdiffusion.diffusion;

import java.util.SplittableRandom;

/**
 * Test fixture: a Gaussian mixture with diagonal covariances, {@code p(y) = sum_k pi_k N(y; mu_k, diag(v_k))}, and its
 * exact denoiser {@code D(x; sigma) = E[y | x]} for {@code x = y + sigma n}:
 * {@code D = sum_k w_k(x) (mu_k + v_k / (v_k + sigma^2) (x - mu_k))}, {@code w_k} the posterior weights under
 * {@code N(mu_k, diag(v_k) + sigma^2 I)}. Rows are independent; labels select a single component when {@code >= 0}.
 */
public final class GaussianMixture implements Denoiser {

    final double[] weights;
    final double[][] means;
    final double[][] variances;
    final int dim;

    public GaussianMixture(double[] weights, double[][] means, double[][] variances) {
        this.weights = weights;
        this.means = means;
        this.variances = variances;
        this.dim = means[0].length;
    }

    public int components() {
        return weights.length;
    }

    public int dim() {
        return dim;
    }

    public double weight(int k) {
        return weights[k];
    }

    public double mean(int k, int j) {
        return means[k][j];
    }

    public double variance(int k, int j) {
        return variances[k][j];
    }

    /** Three well-separated components in {@code dim} dimensions, weights 0.5 / 0.3 / 0.2. */
    public static GaussianMixture threeModes(int dim) {
        double[] w = {0.5, 0.3, 0.2};
        double[][] mu = new double[3][dim];
        double[][] v = new double[3][dim];
        // Means at distance ~4 from each other in every dimension count; variances differ per component and dim.
        double spread = 4.0 / Math.sqrt(Math.min(dim, 2));
        for (int j = 0; j < dim; j++) {
            mu[0][j] = j % 2 == 0 ? spread : 0.0;
            mu[1][j] = j % 2 == 0 ? -spread : spread;
            mu[2][j] = j % 2 == 0 ? 0.0 : -spread;
            v[0][j] = 0.09 * (1.0 + 0.5 * ((j % 3) / 2.0));
            v[1][j] = 0.25;
            v[2][j] = 0.16 * (1.0 + 0.25 * (j % 2));
        }
        if (dim > 2) {
            double scale = 1.0 / Math.sqrt(dim / 2.0);
            for (double[] m : mu) {
                for (int j = 0; j < dim; j++) {
                    m[j] *= scale * 2.0;
                }
            }
        }
        return new GaussianMixture(w, mu, v);
    }

    @Override
    public void denoise(double[] x, double[] sigma, int[] labels, int n, int dim, double[] out) {
        if (dim != this.dim) {
            throw new IllegalArgumentException("dim must be " + this.dim + ", got " + dim);
        }
        int k = weights.length;
        double[] logw = new double[k];
        double[][] invVar = new double[k][dim];
        double[][] shrink = new double[k][dim];
        double[] logNorm = new double[k];
        double cached = Double.NaN;
        for (int i = 0; i < n; i++) {
            if (sigma[i] != cached) {
                // Per-sigma constants: the samplers pass one sigma for the whole batch.
                cached = sigma[i];
                double s2 = cached * cached;
                for (int c = 0; c < k; c++) {
                    double ln = Math.log(weights[c]);
                    for (int j = 0; j < dim; j++) {
                        double var = variances[c][j] + s2;
                        invVar[c][j] = 1.0 / var;
                        shrink[c][j] = variances[c][j] / var;
                        ln -= 0.5 * Math.log(var);
                    }
                    logNorm[c] = ln;
                }
            }
            int off = i * dim;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                double q = 0;
                for (int j = 0; j < dim; j++) {
                    double d = x[off + j] - means[c][j];
                    q += d * d * invVar[c][j];
                }
                double lw = logNorm[c] - 0.5 * q;
                if (labels != null && labels[i] >= 0 && labels[i] != c) {
                    lw = Double.NEGATIVE_INFINITY;
                }
                logw[c] = lw;
                max = Math.max(max, lw);
            }
            double total = 0;
            for (int c = 0; c < k; c++) {
                logw[c] = Math.exp(logw[c] - max);
                total += logw[c];
            }
            for (int j = 0; j < dim; j++) {
                out[off + j] = 0;
            }
            for (int c = 0; c < k; c++) {
                double w = logw[c] / total;
                if (w == 0) {
                    continue; // exp underflowed: the term is exactly zero
                }
                double[] mu = means[c];
                double[] sh = shrink[c];
                for (int j = 0; j < dim; j++) {
                    out[off + j] += w * (mu[j] + sh[j] * (x[off + j] - mu[j]));
                }
            }
        }
    }

    /** {@code n} exact samples, row-major, from {@code seed}. */
    public double[] sample(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] out = new double[n * dim];
        for (int i = 0; i < n; i++) {
            double u = rng.nextDouble();
            int c = 0;
            double cum = weights[0];
            while (u >= cum && c < weights.length - 1) {
                c++;
                cum += weights[c];
            }
            for (int j = 0; j < dim; j++) {
                out[i * dim + j] = means[c][j] + Math.sqrt(variances[c][j]) * rng.nextGaussian();
            }
        }
        return out;
    }

    /** The most likely component of each row (the modes are well separated, so this is the component it came from). */
    public int[] classify(double[] x, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < weights.length; c++) {
                double lw = Math.log(weights[c]);
                for (int j = 0; j < dim; j++) {
                    double d = x[i * dim + j] - means[c][j];
                    lw -= 0.5 * (Math.log(variances[c][j]) + d * d / variances[c][j]);
                }
                if (lw > best) {
                    best = lw;
                    out[i] = c;
                }
            }
        }
        return out;
    }
}
