package io.sparkdiffusion.train;

import java.util.Map;

/**
 * What a round's reduction hands the driver: the image-weighted means of the partitions' results and the round's
 * totals. {@link WeightedSum} is one (the tree reduction); {@link SliceMeans} assembles one from the averaged
 * parameter slices of the sliced reduction.
 */
public interface RoundResult {

    /** The image-weighted mean of the weights, {@code sum_p n_p w_p / sum_p n_p}, {@code [numParameters]}. */
    float[] meanParams();

    /** The image-weighted mean of the optimizer state, or {@code null} when states are kept per partition. */
    float[] meanOptimizerState();

    /** Each partition's own optimizer state (when states are not averaged), by partition index. */
    Map<Integer, float[]> partitionStates();

    /** The images the round trained on, over all partitions. */
    long images();

    /** The image-weighted mean of the partitions' batch losses. */
    double meanLoss();

    /** The number of partitions that trained on at least one image. */
    int partitions();

    /** The slowest partition's local compute time. */
    long maxComputeNanos();

    /**
     * The partitions' local compute times summed: with more partitions than cores, this over the cores is the
     * round's least possible compute time.
     */
    long totalComputeNanos();
}
