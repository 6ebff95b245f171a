package io.sparkdiffusion.metrics;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The count, mean and co-moment of feature vectors of dimension {@code d}, in double, mergeable: each Spark
 * partition adds its rows, then the partial moments are merged in any order and grouping.
 *
 * <pre>
 *   mean[i]       = (1/n) sum_r x_r[i]
 *   comoment[i,j] = sum_r (x_r[i] - mean[i]) (x_r[j] - mean[j])          (d x d, row-major)
 *   covariance    = comoment / (n - 1)                                    (unbiased, as numpy.cov)
 * </pre>
 *
 * Rows are added by Welford's update and partial moments merged by Chan, Golub and LeVeque's formula
 * ({@code M = M_a + M_b + delta delta^T n_a n_b / n}, {@code delta = mean_b - mean_a}), which stay accurate when the
 * mean is large against the spread, unlike raw sums of squares. Mutable: {@link #add} and {@link #merge} change
 * this object and return it (the shape Spark's {@code treeAggregate} wants).
 */
public final class FeatureMoments implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int d;
    private long count;
    private final double[] mean;     // [d]
    private final double[] comoment; // [d, d]

    /** Empty moments of {@code d}-dimensional features. */
    public FeatureMoments(int d) {
        if (d < 1) {
            throw new IllegalArgumentException("feature dimension must be >= 1, got " + d);
        }
        this.d = d;
        this.mean = new double[d];
        this.comoment = new double[d * d];
    }

    /**
     * Moments from stored values (e.g. a saved reference).
     *
     * @param mean     {@code [d]}
     * @param comoment {@code [d * d]}, symmetric
     */
    public static FeatureMoments of(long count, double[] mean, double[] comoment) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        FeatureMoments m = new FeatureMoments(mean.length);
        if (comoment.length != m.d * m.d) {
            throw new IllegalArgumentException("comoment: expected " + m.d + " x " + m.d + " = " + m.d * m.d
                    + " values for a mean of " + m.d + ", got " + comoment.length);
        }
        m.count = count;
        System.arraycopy(mean, 0, m.mean, 0, m.d);
        System.arraycopy(comoment, 0, m.comoment, 0, m.d * m.d);
        return m;
    }

    /** The moments of the {@code n = rows.length / d} rows of {@code rows} ({@code [n, d]}). */
    public static FeatureMoments ofRows(float[] rows, int d) {
        FeatureMoments m = new FeatureMoments(d);
        if (rows.length % d != 0) {
            throw new IllegalArgumentException("rows hold " + rows.length + " floats, not a multiple of d = " + d);
        }
        for (int off = 0; off < rows.length; off += d) {
            m.add(rows, off);
        }
        return m;
    }

    /** Adds the row {@code x[offset, offset + d)} in place (Welford); returns this. */
    public FeatureMoments add(float[] x, int offset) {
        if (offset < 0 || offset + d > x.length) {
            throw new IllegalArgumentException("row at offset " + offset + " needs " + d + " floats, array holds "
                    + x.length);
        }
        count++;
        // With delta = x - mean_before: mean += delta / n and M += delta delta^T (n - 1) / n, exactly symmetric.
        double[] delta = new double[d];
        for (int i = 0; i < d; i++) {
            delta[i] = x[offset + i] - mean[i];
            mean[i] += delta[i] / count;
        }
        double f = (count - 1.0) / count;
        for (int i = 0; i < d; i++) {
            double di = delta[i] * f;
            int row = i * d;
            for (int j = 0; j < d; j++) {
                comoment[row + j] += di * delta[j];
            }
        }
        return this;
    }

    /** Merges {@code other}'s rows into this (Chan et al.); returns this. {@code other} is unchanged. */
    public FeatureMoments merge(FeatureMoments other) {
        if (other.d != d) {
            throw new IllegalArgumentException("cannot merge moments of dimension " + other.d + " into dimension " + d);
        }
        if (other.count == 0) {
            return this;
        }
        long n = count + other.count;
        double wa = (double) count * other.count / n;
        double[] delta = new double[d];
        for (int i = 0; i < d; i++) {
            delta[i] = other.mean[i] - mean[i];
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                comoment[i * d + j] += other.comoment[i * d + j] + delta[i] * delta[j] * wa;
            }
            mean[i] += delta[i] * other.count / n;
        }
        count = n;
        return this;
    }

    /** The feature dimension d. */
    public int dimension() {
        return d;
    }

    /** The number of rows added. */
    public long count() {
        return count;
    }

    /** A copy of the mean, {@code [d]}. */
    public double[] mean() {
        return mean.clone();
    }

    /** A copy of the co-moment, {@code [d, d]} row-major. */
    public double[] comoment() {
        return comoment.clone();
    }

    /** The unbiased covariance {@code comoment / (n - 1)}, {@code [d, d]}; needs at least two rows. */
    public double[] covariance() {
        if (count < 2) {
            throw new IllegalStateException("a covariance needs at least 2 feature rows, got " + count);
        }
        double[] c = comoment.clone();
        for (int i = 0; i < c.length; i++) {
            c[i] /= count - 1;
        }
        return c;
    }

    @Override
    public String toString() {
        return "FeatureMoments[d=" + d + ", count=" + count + ", mean[0..3]="
                + Arrays.toString(Arrays.copyOf(mean, Math.min(3, d))) + "]";
    }
}
