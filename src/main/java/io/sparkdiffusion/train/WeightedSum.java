package io.sparkdiffusion.train;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * The image-weighted sum of the partitions' results of one round: {@code sum_p n_p w_p} and {@code sum_p n_p}.
 *
 * <p>Sums are compensated (Neumaier's variant of Kahan summation: a running sum and its rounding error, both in
 * double). Each term {@code n_p w_p} is exact in double, so merging partial sums in any order (Spark's
 * {@code treeAggregate} merges in task-completion order) gives the same float mean except in vanishingly rare
 * ties, and a single partition's mean is exactly its own weights.
 *
 * <p>A sum of one partition keeps that partition's float arrays as they are and only turns into double sums
 * when a second partition joins: a partition's task result is then a third of the size (its float weights and
 * state rather than sums and compensations in double), which is what crosses the network.
 *
 * <p>Mutable: {@link #add} and {@link #merge} update this object and return it, as Spark's aggregation
 * functions may.
 */
public final class WeightedSum implements RoundResult, Serializable {

    private final boolean averageOptimizerState;
    /** The only contribution so far, not yet expanded into the double sums; null otherwise. */
    private PartitionResult single;
    private double[] paramSum;
    private double[] paramErr;
    private double[] stateSum;
    private double[] stateErr;
    private final TreeMap<Integer, float[]> partitionStates = new TreeMap<>();
    private long images;
    private double lossSum;
    private int partitions;
    private long maxComputeNanos;
    private long totalComputeNanos;

    /** An empty sum (Spark's zero value: small, arrays are allocated by the first partition added). */
    public WeightedSum(boolean averageOptimizerState) {
        this.averageOptimizerState = averageOptimizerState;
    }

    /** Adds one partition's result, weighted by the images it trained on; empty partitions only add their time. */
    public WeightedSum add(PartitionResult r) {
        maxComputeNanos = Math.max(maxComputeNanos, r.computeNanos());
        totalComputeNanos += r.computeNanos();
        if (r.images() == 0) {
            return this;
        }
        if (images == 0) {
            single = r;
        } else {
            expand();
            addToSums(r);
        }
        if (!averageOptimizerState) {
            partitionStates.put(r.partition(), r.optimizerState());
        }
        images += r.images();
        lossSum += r.lossSum();
        partitions++;
        return this;
    }

    /** Adds another partial sum into this one. */
    public WeightedSum merge(WeightedSum o) {
        maxComputeNanos = Math.max(maxComputeNanos, o.maxComputeNanos);
        totalComputeNanos += o.totalComputeNanos;
        if (o.images == 0) {
            return this;
        }
        if (images == 0) {
            single = o.single;
            paramSum = o.paramSum;
            paramErr = o.paramErr;
            stateSum = o.stateSum;
            stateErr = o.stateErr;
        } else {
            expand();
            if (o.single != null) {
                addToSums(o.single);
            } else {
                mergeInto(paramSum, paramErr, o.paramSum, o.paramErr);
                if (stateSum != null) {
                    mergeInto(stateSum, stateErr, o.stateSum, o.stateErr);
                }
            }
        }
        partitionStates.putAll(o.partitionStates);
        images += o.images;
        lossSum += o.lossSum;
        partitions += o.partitions;
        return this;
    }

    /** Turns a single contribution into double sums, so that others can be added. */
    private void expand() {
        if (single == null) {
            return;
        }
        PartitionResult r = single;
        single = null;
        paramSum = new double[r.params().length];
        paramErr = new double[r.params().length];
        if (averageOptimizerState) {
            stateSum = new double[r.optimizerState().length];
            stateErr = new double[r.optimizerState().length];
        }
        addToSums(r);
    }

    private void addToSums(PartitionResult r) {
        addScaled(paramSum, paramErr, r.params(), r.images());
        if (averageOptimizerState) {
            addScaled(stateSum, stateErr, r.optimizerState(), r.images());
        }
    }

    /** The image-weighted mean of the weights, {@code sum_p n_p w_p / sum_p n_p}. */
    @Override
    public float[] meanParams() {
        // One partition: n w / n is w exactly, so its own weights are the mean.
        return single != null ? single.params().clone() : mean(paramSum, paramErr);
    }

    /** The image-weighted mean of the optimizer state, or {@code null} when states are kept per partition. */
    @Override
    public float[] meanOptimizerState() {
        if (!averageOptimizerState) {
            return null;
        }
        return single != null ? single.optimizerState().clone() : mean(stateSum, stateErr);
    }

    /** Each partition's own optimizer state (when states are not averaged), by partition index. */
    @Override
    public Map<Integer, float[]> partitionStates() {
        return partitionStates;
    }

    @Override
    public long images() {
        return images;
    }

    /** The image-weighted mean of the partitions' batch losses. */
    @Override
    public double meanLoss() {
        return images == 0 ? Double.NaN : lossSum / images;
    }

    /** The number of partitions that trained on at least one image. */
    @Override
    public int partitions() {
        return partitions;
    }

    /** The slowest partition's local compute time. */
    @Override
    public long maxComputeNanos() {
        return maxComputeNanos;
    }

    @Override
    public long totalComputeNanos() {
        return totalComputeNanos;
    }

    private float[] mean(double[] sum, double[] err) {
        if (images == 0) {
            throw new IllegalStateException("no partition trained on any image this round: is the training data empty?");
        }
        float[] out = new float[sum.length];
        for (int i = 0; i < sum.length; i++) {
            out[i] = (float) ((sum[i] + err[i]) / images);
        }
        return out;
    }

    private static void addScaled(double[] sum, double[] err, float[] x, long n) {
        for (int i = 0; i < x.length; i++) {
            twoSumInto(sum, err, i, (double) x[i] * n);
        }
    }

    private static void mergeInto(double[] sum, double[] err, double[] oSum, double[] oErr) {
        for (int i = 0; i < sum.length; i++) {
            twoSumInto(sum, err, i, oSum[i]);
            err[i] += oErr[i];
        }
    }

    /** Neumaier step: {@code sum[i] += x}, with the rounding error of that addition added to {@code err[i]}. */
    private static void twoSumInto(double[] sum, double[] err, int i, double x) {
        double s = sum[i];
        double t = s + x;
        err[i] += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s;
        sum[i] = t;
    }
}
