package io.sparkdiffusion.metrics;

import java.io.Serializable;

/**
 * How often a classifier agrees with the class each sample was drawn for, overall and per class; mergeable like
 * {@link FeatureMoments} (Spark partitions tally, the driver merges). Mutable: {@link #add} and {@link #merge}
 * change this object and return it.
 */
public final class ClassTally implements Serializable {
    private static final long serialVersionUID = 1L;

    private final long[] total;   // [numClasses] samples drawn for class k
    private final long[] correct; // [numClasses] of those, classified as k

    public ClassTally(int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
        }
        total = new long[numClasses];
        correct = new long[numClasses];
    }

    /** Counts one sample drawn for class {@code label} and classified as {@code predicted}; returns this. */
    public ClassTally add(int label, int predicted) {
        if (label < 0 || label >= total.length) {
            throw new IllegalArgumentException("label " + label + " is not a class: expected 0.." + (total.length - 1));
        }
        total[label]++;
        if (predicted == label) {
            correct[label]++;
        }
        return this;
    }

    /** Adds {@code other}'s counts; returns this. */
    public ClassTally merge(ClassTally other) {
        if (other.total.length != total.length) {
            throw new IllegalArgumentException("cannot merge a tally of " + other.total.length + " classes into one of "
                    + total.length);
        }
        for (int k = 0; k < total.length; k++) {
            total[k] += other.total[k];
            correct[k] += other.correct[k];
        }
        return this;
    }

    public int numClasses() {
        return total.length;
    }

    /** Samples counted. */
    public long count() {
        long n = 0;
        for (long t : total) {
            n += t;
        }
        return n;
    }

    /** The fraction classified as the class they were drawn for; NaN before any sample. */
    public double accuracy() {
        long c = 0;
        for (long x : correct) {
            c += x;
        }
        return (double) c / count();
    }

    /** Per class k: the fraction of the samples drawn for k classified as k; NaN for a class without samples. */
    public double[] perClass() {
        double[] a = new double[total.length];
        for (int k = 0; k < a.length; k++) {
            a[k] = (double) correct[k] / total[k];
        }
        return a;
    }

    /** Samples drawn for class k. */
    public long count(int k) {
        return total[k];
    }
}
