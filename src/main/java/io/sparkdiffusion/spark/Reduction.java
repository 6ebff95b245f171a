package io.sparkdiffusion.spark;

import java.util.Locale;

/**
 * How a round's partition results are averaged (the {@code reduction} setting of {@link DiffusionTrainer}):
 * <ul>
 *   <li>{@link #TREE}: {@code treeAggregate} into double sums with compensation; the driver receives a few partial
 *       sums of 16 bytes per float each. Cheapest for small models.</li>
 *   <li>{@link #SLICED}: a reduce-scatter; each result is cut into parameter slices, executors average each slice
 *       (in partition order), and the driver receives only the averaged floats, 4 bytes per float, however many
 *       partitions train.</li>
 *   <li>{@link #AUTO}: the tree while the partial sums it sends the driver are small and fit the settings in
 *       force, else the slices ({@link ReductionPlan}).</li>
 * </ul>
 */
public enum Reduction {
    AUTO, TREE, SLICED;

    /** The setting's name: {@code auto}, {@code tree} or {@code sliced}. */
    public String settingName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a setting name (any case); the error lists the allowed values. */
    public static Reduction parse(String name) {
        for (Reduction r : values()) {
            if (r.settingName().equalsIgnoreCase(name == null ? "" : name.strip())) {
                return r;
            }
        }
        throw new IllegalArgumentException("reduction must be one of [auto, tree, sliced], got '" + name + "'");
    }
}
