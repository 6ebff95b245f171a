package io.sparkdiffusion.metrics;

import java.util.Locale;

/**
 * The sample-quality numbers of one set of generated images against one feature network's reference, all from
 * one pass over the images.
 *
 * @param numSamples             generated images scored
 * @param fid                    Fréchet distance of their feature moments to the reference's (lower is better)
 * @param precision              fraction of samples inside the reference's k-NN manifold (fidelity; higher better)
 * @param recall                 fraction of reference images inside the samples' k-NN manifold (diversity)
 * @param precisionRecallSamples rows per set used for precision and recall (both sets the same size)
 * @param classAccuracy          fraction of samples the classifier assigns the class they were drawn for; NaN
 *                               when the samples carry no labels
 * @param perClassAccuracy       the same per class ({@code [numClasses]}), or null without labels
 */
public record QualityReport(long numSamples, double fid, double precision, double recall, int precisionRecallSamples,
                            double classAccuracy, double[] perClassAccuracy) implements java.io.Serializable {

    /** The metric names {@link #metric} knows. */
    public static final String[] METRICS = {"fid", "precision", "recall", "classAccuracy"};

    /** The value of the metric called {@code name}. */
    public double metric(String name) {
        return switch (name) {
            case "fid" -> fid;
            case "precision" -> precision;
            case "recall" -> recall;
            case "classAccuracy" -> {
                if (perClassAccuracy == null) {
                    throw new IllegalArgumentException("classAccuracy needs the class each sample was drawn for: set"
                            + " labelCol to the label column of a class-conditional model's samples");
                }
                yield classAccuracy;
            }
            default -> throw new IllegalArgumentException("metricName must be one of fid, precision, recall,"
                    + " classAccuracy; got '" + name + "'");
        };
    }

    /** Whether a larger value of {@code name} is better: false for fid, true for the others. */
    public static boolean isLargerBetter(String name) {
        return !name.equals("fid");
    }

    /** One JSON object (no external library: numbers and one array). */
    public String toJson() {
        StringBuilder s = new StringBuilder("{");
        s.append("\"numSamples\": ").append(numSamples);
        s.append(", \"fid\": ").append(num(fid));
        s.append(", \"precision\": ").append(num(precision));
        s.append(", \"recall\": ").append(num(recall));
        s.append(", \"precisionRecallSamples\": ").append(precisionRecallSamples);
        if (perClassAccuracy != null) {
            s.append(", \"classAccuracy\": ").append(num(classAccuracy));
            s.append(", \"perClassAccuracy\": [");
            for (int k = 0; k < perClassAccuracy.length; k++) {
                s.append(k == 0 ? "" : ", ").append(num(perClassAccuracy[k]));
            }
            s.append(']');
        }
        return s.append('}').toString();
    }

    /** A human-readable table, one metric per line (and one line per class). */
    public String toTable() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%-16s %10d%n", "samples", numSamples));
        s.append(String.format(Locale.ROOT, "%-16s %10.3f   (Frechet distance in the feature network's space; lower is better)%n",
                "fid", fid));
        s.append(String.format(Locale.ROOT, "%-16s %10.3f   (samples on the data manifold, k-NN over %d + %d rows)%n",
                "precision", precision, precisionRecallSamples, precisionRecallSamples));
        s.append(String.format(Locale.ROOT, "%-16s %10.3f   (data covered by the samples' manifold)%n", "recall", recall));
        if (perClassAccuracy != null) {
            s.append(String.format(Locale.ROOT, "%-16s %10.3f   (samples classified as the class they were drawn for)%n",
                    "classAccuracy", classAccuracy));
            for (int k = 0; k < perClassAccuracy.length; k++) {
                s.append(String.format(Locale.ROOT, "  class %-8d %10.3f%n", k, perClassAccuracy[k]));
            }
        }
        return s.toString();
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
    }
}
