package io.sparkdiffusion.metrics;

import java.io.Serializable;
import java.util.Locale;

/**
 * Negative log-likelihood of real images in bits per dimension, averaged over images, with the standard error of
 * the mean (which covers both the images' spread and the Skilling-Hutchinson trace estimator's variance: each
 * image's value is an unbiased estimate from one probe).
 *
 * @param numImages     images scored
 * @param bpd           the mean bits per dimension (lower is better; 8 is a uniform distribution over 256 levels)
 * @param standardError the standard error of that mean (unbiased variance over images / numImages, square root)
 * @param numSteps      Heun steps of the probability-flow ODE
 * @param sigmaMin      the noise level the likelihood is of (the ODE's start)
 * @param sigmaMax      where the prior N(0, sigmaMax^2 I) takes over
 * @param conditional   whether each image was scored under its own label (else unconditionally)
 */
public record BitsPerDim(long numImages, double bpd, double standardError, int numSteps, double sigmaMin,
                         double sigmaMax, boolean conditional) implements Serializable {

    /** One JSON object. */
    public String toJson() {
        return String.format(Locale.ROOT, "{\"bpdImages\": %d, \"bpd\": %.6g, \"bpdStandardError\": %.6g, "
                        + "\"bpdSteps\": %d, \"bpdSigmaMin\": %.6g, \"bpdSigmaMax\": %.6g, \"bpdConditional\": %s}",
                numImages, bpd, standardError, numSteps, sigmaMin, sigmaMax, conditional);
    }

    /** Human-readable lines, as {@link QualityReport#toTable}. */
    public String toTable() {
        return String.format(Locale.ROOT, "%-16s %10.3f   (+- %.3f standard error over %d real images; %s, sigma %.3g"
                        + " to %.3g, %d Heun steps; lower is better)%n", "bpd", bpd, standardError, numImages,
                conditional ? "each under its label" : "unconditional", sigmaMin, sigmaMax, numSteps);
    }

    /** Count, sum and sum of squares of per-image values, merged across partitions in double. */
    public static final class Tally implements Serializable {
        private static final long serialVersionUID = 1L;
        private long count;
        private double sum;
        private double sumSq;

        /** Adds one image's bits per dimension. */
        public Tally add(double bitsPerDim) {
            count++;
            sum += bitsPerDim;
            sumSq += bitsPerDim * bitsPerDim;
            return this;
        }

        /** Adds {@code other}'s values into this tally and returns it. */
        public Tally merge(Tally other) {
            count += other.count;
            sum += other.sum;
            sumSq += other.sumSq;
            return this;
        }

        public long count() {
            return count;
        }

        public double mean() {
            return sum / count;
        }

        /** The standard error of the mean; NaN for fewer than 2 values. */
        public double standardError() {
            if (count < 2) {
                return Double.NaN;
            }
            double mean = mean();
            double variance = Math.max(0, (sumSq - count * mean * mean) / (count - 1));
            return Math.sqrt(variance / count);
        }
    }
}
