package io.sparkdiffusion.train;

import io.sparkdiffusion.diffusion.SettingIds;

/**
 * What the partitions and the driver exchange, and how often.
 * <ul>
 *   <li>{@link #WEIGHTS}: local SGD (parameter averaging). Each partition runs {@code localSteps} optimizer steps on
 *       its own batches, then the driver averages the weights (and the optimizer state, if averaged). The rounds are
 *       few, but the model depends on how many partitions train it: more partitions mean fewer, larger averaged
 *       steps (docs/scaling-partitions.md).</li>
 *   <li>{@link #GRADIENTS}: synchronous data-parallel training. Every step is a round: each partition computes the
 *       gradient of its part of the global batch, the driver averages the gradients, clips, takes the optimizer
 *       step and updates the EMA. The images are split into {@code globalBatchSize} groups by a hash of their
 *       content and each group gives one image per step, its draws (which image, noise level, noise, label
 *       dropout) seeded by the step and the group; so the same images with the same noise make every step
 *       whatever the partitions, and 2 or 32 partitions train the same model up to the order of float sums (and
 *       the network's dropout masks, which follow the rows' places in a partition's batch).</li>
 * </ul>
 */
public enum SyncMode {
    WEIGHTS("weights"),
    GRADIENTS("gradients");

    private final String id;

    SyncMode(String id) {
        this.id = id;
    }

    /** The setting's name: {@code weights} or {@code gradients}. */
    public String id() {
        return id;
    }

    /** The mode named {@code name} (any case), or an error listing the names. */
    public static SyncMode parse(String name) {
        return SettingIds.parse("syncMode", values(), SyncMode::id, name);
    }

    /** {@code [weights, gradients]}. */
    public static String allowed() {
        return SettingIds.allowed(values(), SyncMode::id);
    }
}
