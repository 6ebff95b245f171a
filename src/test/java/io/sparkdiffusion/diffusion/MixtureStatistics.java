package io.sparkdiffusion.diffusion;

/**
 * Test helper: how well samples reproduce a {@link GaussianMixture}, per component (weight, mean, per-coordinate
 * variance) and as a whole (energy distance against exact samples).
 *
 * @param weightError      max over components of |empirical weight - pi_k|
 * @param meanError        max over components of the RMS over coordinates of (mean_k - mu_k) / sqrt(v_k)
 * @param varianceRatioAvg the average over components and coordinates of empirical / true variance, worst component
 *                         (the one furthest from 1)
 * @param varianceRatioMax max over components and coordinates of |empirical / true variance - 1|
 * @param energyDistance   unbiased energy distance between the first {@code m} samples and {@code m} exact samples
 */
public record MixtureStatistics(double weightError, double meanError, double varianceRatioAvg, double varianceRatioMax,
                                double energyDistance) {

    /** Samples {@code x} ({@code [n, dim]}) against {@code gm}; energy distance on the first {@code m} rows. */
    public static MixtureStatistics of(GaussianMixture gm, double[] x, int n, int m, long exactSeed) {
        int dim = gm.dim();
        int k = gm.components();
        int[] comp = gm.classify(x, n);
        int[] count = new int[k];
        double[][] sum = new double[k][dim];
        double[][] sumSq = new double[k][dim];
        for (int i = 0; i < n; i++) {
            int c = comp[i];
            count[c]++;
            for (int j = 0; j < dim; j++) {
                double v = x[i * dim + j];
                sum[c][j] += v;
                sumSq[c][j] += v * v;
            }
        }
        double weightError = 0;
        double meanError = 0;
        double worstAvg = 1;
        double varMax = 0;
        for (int c = 0; c < k; c++) {
            weightError = Math.max(weightError, Math.abs((double) count[c] / n - gm.weight(c)));
            if (count[c] < 2) {
                return new MixtureStatistics(weightError, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
                        Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
            }
            double rms = 0;
            double avg = 0;
            for (int j = 0; j < dim; j++) {
                double mean = sum[c][j] / count[c];
                double var = (sumSq[c][j] - count[c] * mean * mean) / (count[c] - 1);
                double z = (mean - gm.mean(c, j)) / Math.sqrt(gm.variance(c, j));
                rms += z * z;
                double ratio = var / gm.variance(c, j);
                avg += ratio;
                varMax = Math.max(varMax, Math.abs(ratio - 1));
            }
            meanError = Math.max(meanError, Math.sqrt(rms / dim));
            avg /= dim;
            if (Math.abs(avg - 1) > Math.abs(worstAvg - 1)) {
                worstAvg = avg;
            }
        }
        double ed = energyDistance(x, gm.sample(m, exactSeed), m, dim);
        return new MixtureStatistics(weightError, meanError, worstAvg, varMax, ed);
    }

    /** Unbiased (U-statistic) energy distance {@code 2 E|a-b| - E|a-a'| - E|b-b'|} of the first m rows of a and b. */
    public static double energyDistance(double[] a, double[] b, int m, int dim) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < m; i++) {
            for (int l = 0; l < m; l++) {
                ab += dist(a, i, b, l, dim);
                if (l > i) {
                    aa += dist(a, i, a, l, dim);
                    bb += dist(b, i, b, l, dim);
                }
            }
        }
        double pairs = m * (m - 1) / 2.0;
        return 2 * ab / ((double) m * m) - aa / pairs - bb / pairs;
    }

    private static double dist(double[] a, int i, double[] b, int l, int dim) {
        double s = 0;
        for (int j = 0; j < dim; j++) {
            double d = a[i * dim + j] - b[l * dim + j];
            s += d * d;
        }
        return Math.sqrt(s);
    }
}
