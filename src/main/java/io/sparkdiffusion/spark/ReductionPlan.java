package io.sparkdiffusion.spark;

import org.apache.spark.SparkConf;

import java.util.Locale;

/**
 * Which reduction a fit runs ({@link Reduction}) and, for the slices, how many: chosen once per fit from the model's
 * size, the partitions and {@code spark.driver.maxResultSize}, with the reason that is logged.
 *
 * <p>Bytes per round, for {@code P} weights, an optimizer state of {@code St} floats and {@code N} partitions:
 * <ul>
 *   <li>tree: the driver receives the {@code R} partial sums {@code treeAggregate} leaves (Spark keeps merging on
 *       executors while that saves time; {@code R = 2} at 8 partitions), each {@code 16 (P + St)} bytes (a sum and
 *       its compensation in double); a partial of one partition is its floats, {@code 4 (P + St)};</li>
 *   <li>sliced: every partition writes {@code 4 (P + St)} bytes of shuffle pieces; each of {@code S} reducers
 *       reads {@code N} pieces of {@code 4 (P + St) / S} bytes; the driver receives the averaged floats,
 *       {@code 4 (P + St)} bytes in all (plus {@code 4 St N} for the states when each partition keeps its own),
 *       fetched {@code slicesPerJob} slices per job so that no job comes near {@code spark.driver.maxResultSize}.</li>
 * </ul>
 *
 * @param path               tree or sliced (never auto)
 * @param slices             the slices of the sliced path (1 for the tree)
 * @param slicesPerJob       the averaged slices the driver fetches per job (sliced path)
 * @param driverBytesPerJob  the most result bytes one job of the reduction sends the driver
 * @param driverBytesPerRound the result bytes the driver receives per round
 * @param reason             why this path, for the log
 */
record ReductionPlan(Reduction path, int slices, int slicesPerJob, long driverBytesPerJob, long driverBytesPerRound,
                     String reason) {

    static final String MAX_RESULT_SIZE = "spark.driver.maxResultSize";
    /** Spark's default for {@link #MAX_RESULT_SIZE}. */
    static final long DEFAULT_MAX_RESULT_BYTES = 1L << 30;
    /**
     * Auto picks the tree while the partial sums the driver receives stay under this (more: the slices). Measured
     * on real rounds (docs/scaling.md, {@code ./probe.sh rounds}, 20 steps of batch 32 on the one-machine cluster):
     * unet-small with Adam in 8 partitions, where the tree sends 146 MiB of double sums after a merge stage on the
     * executors, spent 1.9 s per round on the tree and 4.9 s sliced (the slices' shuffle write runs in the
     * training tasks); in 2 partitions (37 MiB of floats, no merge stage) 0.6 s against 1.0 s. In 16 partitions
     * the tree would send 4 partial sums, 293 MiB, and the slices take over, as they do for every larger model.
     */
    static final long AUTO_TREE_MAX_DRIVER_BYTES = 256L << 20;
    /** The most piece bytes one slice reducer holds (N pieces): slices shrink as partitions grow. */
    static final long REDUCER_INPUT_BYTES = 256L << 20;
    static final int MAX_SLICE_FLOATS = 2 << 20;
    static final int MIN_SLICE_FLOATS = 1 << 16;
    /** The most averaged-slice bytes the driver fetches in one job (and at most half of maxResultSize). */
    static final long MAX_JOB_BYTES = 128L << 20;

    /** The sizes that decide a fit's reduction and memory. */
    record FitSize(long numParameters, long stateSize, int partitions, boolean averageOptimizerState) {
        FitSize {
            if (numParameters < 1 || stateSize < 0 || partitions < 1) {
                throw new IllegalArgumentException("a fit needs >= 1 weights, >= 0 state floats and >= 1 partitions,"
                        + " got " + numParameters + ", " + stateSize + ", " + partitions);
            }
        }

        /** The floats of one partition's result: weights and optimizer state. */
        long resultFloats() {
            return numParameters + stateSize;
        }

        /** The floats the round's broadcast holds: the weights, and the state when it is shared. */
        long broadcastFloats() {
            return numParameters + (averageOptimizerState ? stateSize : 0);
        }
    }

    /** The plan for {@code setting} (auto decides here), given the fit's sizes and Spark settings. */
    static ReductionPlan choose(Reduction setting, FitSize size, SparkConf conf) {
        long maxResult = maxResultBytes(conf);
        long tree = treeDriverBytes(size);
        int results = treeDriverResults(size.partitions());
        String treeText = results + " partial sum" + (results == 1 ? "" : "s") + ", " + mib(tree) + " in all";
        switch (setting) {
            case TREE:
                return tree(size, "set to tree; the driver receives " + treeText);
            case SLICED:
                return sliced(size, maxResult, "set to sliced");
            default:
                if (size.partitions() == 1) {
                    return tree(size, "one partition: the tree sends the driver that partition's floats (" + mib(tree) + ")");
                }
                if (tree <= AUTO_TREE_MAX_DRIVER_BYTES && tree <= maxResult / 2) {
                    return tree(size, "the driver receives " + treeText + ", within " + mib(AUTO_TREE_MAX_DRIVER_BYTES)
                            + (maxResult == Long.MAX_VALUE ? "" : " and half of " + MAX_RESULT_SIZE + " (" + mib(maxResult) + ")"));
                }
                return sliced(size, maxResult, "the tree would send the driver " + treeText
                        + (tree > maxResult / 2 ? ", more than half of " + MAX_RESULT_SIZE + " (" + mib(maxResult) + ")"
                        : ", more than " + mib(AUTO_TREE_MAX_DRIVER_BYTES)));
        }
    }

    private static ReductionPlan tree(FitSize size, String reason) {
        long bytes = treeDriverBytes(size);
        return new ReductionPlan(Reduction.TREE, 1, 1, bytes, bytes, reason);
    }

    private static ReductionPlan sliced(FitSize size, long maxResult, String reason) {
        int n = size.partitions();
        long sliceFloats = Math.max(MIN_SLICE_FLOATS, Math.min(MAX_SLICE_FLOATS, REDUCER_INPUT_BYTES / (4L * n)));
        long perRound = slicedDriverBytes(size);
        long jobCap = Math.min(MAX_JOB_BYTES, maxResult / 2);
        long slices = Math.max(ceilDiv(size.resultFloats(), sliceFloats), ceilDiv(perRound, Math.max(1, jobCap)));
        int s = (int) Math.max(1, Math.min(slices, size.numParameters()));
        long perSlice = ceilDiv(perRound, s);
        int perJob = (int) Math.max(1, Math.min(s, jobCap / Math.max(1, perSlice)));
        return new ReductionPlan(Reduction.SLICED, s, perJob, perSlice * perJob, perRound, reason + ": " + s
                + " slice" + (s == 1 ? "" : "s") + " of about " + mib(4 * ceilDiv(size.resultFloats(), s))
                + " per partition, the driver receives " + mib(perRound) + " per round in jobs of " + perJob
                + " slice" + (perJob == 1 ? "" : "s"));
    }

    /** The averaged floats (and own states) the sliced path sends the driver per round. */
    static long slicedDriverBytes(FitSize size) {
        long state = size.averageOptimizerState() ? size.stateSize() : size.stateSize() * size.partitions();
        return 4 * (size.numParameters() + state);
    }

    /**
     * The results Spark's {@code treeAggregate} sends the driver for {@code partitions} partial sums at our depth:
     * it merges on executors, dividing the partitions by {@code scale} per level, while that saves time.
     */
    static int treeDriverResults(int partitions) {
        int depth = DistributedTraining.aggregationDepth(partitions);
        int n = partitions;
        int scale = Math.max((int) Math.ceil(Math.pow(n, 1.0 / depth)), 2);
        while (n > scale + Math.ceil((double) n / scale)) {
            n /= scale;
        }
        return n;
    }

    /**
     * The bytes of the tree's results at the driver: partial sums of several partitions are {@code 16 (P + St)}
     * (a sum and a compensation in double; own states travel as the partitions' floats), a partial of one partition
     * is its floats.
     */
    static long treeDriverBytes(FitSize size) {
        int results = treeDriverResults(size.partitions());
        if (results == size.partitions()) {
            return results * 4 * size.resultFloats();
        }
        return size.averageOptimizerState() ? results * 16 * size.resultFloats()
                : results * 16 * size.numParameters() + 4 * size.stateSize() * size.partitions();
    }

    /** {@code spark.driver.maxResultSize} in bytes (Spark's default 1g; 0, unlimited, as Long.MAX_VALUE). */
    static long maxResultBytes(SparkConf conf) {
        long v = conf.contains(MAX_RESULT_SIZE) ? conf.getSizeAsBytes(MAX_RESULT_SIZE) : DEFAULT_MAX_RESULT_BYTES;
        return v == 0 ? Long.MAX_VALUE : v;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, bytes >= 10L << 20 ? "%.0f MiB" : "%.1f MiB", bytes / 1048576.0);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
