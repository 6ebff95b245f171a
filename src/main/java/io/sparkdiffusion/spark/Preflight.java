package io.sparkdiffusion.spark;

import io.sparkdiffusion.spark.ReductionPlan.FitSize;
import org.apache.spark.SparkConf;

import java.util.Locale;

/**
 * The checks a fit runs before its first round: from the model's size, the partitions and the Spark settings in
 * force, can every round fit? Each failure names the setting, its value and a value that would work.
 * <ol>
 *   <li>{@code spark.driver.maxResultSize}: the result bytes one job of the round's reduction sends the driver
 *       ({@link ReductionPlan});</li>
 *   <li>{@code spark.rpc.message.maxSize}: when each partition keeps its own optimizer state, that state travels
 *       inside its task, and a task must fit one RPC message;</li>
 *   <li>{@code spark.kryoserializer.buffer.max}, under Kryo ({@link KryoBuffers});</li>
 *   <li>the driver's heap ({@code spark.driver.memory}; in a local master the JVM's own {@code -Xmx}, which also
 *       runs the tasks): the state, the broadcast's serialized copy and what the reduction brings in;</li>
 *   <li>{@code spark.executor.memory} (not in a local master): the broadcast, held twice (its blocks and the
 *       value), and {@code spark.executor.cores} concurrent tasks.</li>
 * </ol>
 * A training task holds its copy of the weights and their gradients, the optimizer's state and the copy it
 * returns: {@code 4 (2 P + 2 St)} bytes (plus its own state when states are not averaged). The network's
 * activations at {@code batchSize} are not estimated: the memory checks only fail fits that cannot fit even without
 * them.
 */
final class Preflight {
    static final String DRIVER_MEMORY = "spark.driver.memory";
    static final String EXECUTOR_MEMORY = "spark.executor.memory";
    static final String EXECUTOR_CORES = "spark.executor.cores";
    static final String RPC_MAX = "spark.rpc.message.maxSize";
    /** Spark's defaults: 128 MiB messages, 1g executors. */
    static final int DEFAULT_RPC_MAX_MIB = 128;
    static final long DEFAULT_EXECUTOR_BYTES = 1L << 30;
    /** The heap Spark sets aside for itself in every JVM (its "reserved memory"). */
    static final long RESERVED_BYTES = 300L << 20;
    /** Room for what is not counted: serialization framing, a task's closure, the shard in flight. */
    private static final long MARGIN_BYTES = 1L << 20;
    private static final double MARGIN = 1.05;
    private static final long RESULT_FRAMING_BYTES = 64L << 10;
    /** Spark's default {@code spark.resultGetter.threads}: task results fetched and deserialized at once. */
    private static final int RESULT_GETTER_THREADS = 4;

    /**
     * Where the fit runs.
     *
     * @param driverHeapBytes the driver JVM's largest heap ({@code Runtime.maxMemory()} on the driver)
     * @param localTaskSlots  the tasks a local master runs at once in the driver's JVM, or 0 for a cluster
     */
    record Environment(long driverHeapBytes, int localTaskSlots) {
        /** This JVM as the driver of {@code master}. */
        static Environment of(String master) {
            return new Environment(Runtime.getRuntime().maxMemory(), Preflight.localTaskSlots(master));
        }
    }

    private Preflight() {
    }

    /**
     * Chooses the reduction (logged by the fit) and checks that a round can fit.
     *
     * @throws IllegalArgumentException naming the setting, its value and the value that would work
     */
    static ReductionPlan check(Reduction setting, FitSize size, long largestShardFloats, SparkConf conf,
                               Environment env) {
        ReductionPlan plan = ReductionPlan.choose(setting, size, conf);
        checkResultSize(plan, size, conf);
        checkTaskSize(size, conf);
        KryoBuffers.check(conf, KryoBuffers.neededBytes(largestReductionObject(plan, size),
                4 * size.broadcastFloats(), largestShardFloats));
        checkDriverMemory(plan, size, env);
        if (env.localTaskSlots() == 0) {
            checkExecutorMemory(plan, size, conf);
        }
        return plan;
    }

    private static void checkResultSize(ReductionPlan plan, FitSize size, SparkConf conf) {
        long max = ReductionPlan.maxResultBytes(conf);
        // Results are float and double arrays: Java serialization adds a few bytes per array and per object.
        long needed = (long) (plan.driverBytesPerJob() * MARGIN) + RESULT_FRAMING_BYTES;
        if (needed <= max) {
            return;
        }
        String alternative = "";
        if (plan.path() == Reduction.TREE) {
            ReductionPlan sliced = ReductionPlan.choose(Reduction.SLICED, size, conf);
            alternative = ", or set reduction to sliced (or auto), whose jobs send the driver at most "
                    + ReductionPlan.mib(sliced.driverBytesPerJob());
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s is %s%s, but with reduction=%s one job "
                        + "of every round sends the driver about %s (%s); set %s to %dm or more%s",
                ReductionPlan.MAX_RESULT_SIZE, ReductionPlan.mib(max), conf.contains(ReductionPlan.MAX_RESULT_SIZE) ? ""
                        : " (Spark's default)", plan.path().settingName(), ReductionPlan.mib(needed), plan.reason(),
                ReductionPlan.MAX_RESULT_SIZE, mibCeil(needed), alternative));
    }

    private static void checkTaskSize(FitSize size, SparkConf conf) {
        if (size.averageOptimizerState() || size.stateSize() == 0) {
            return;
        }
        int maxMib = conf.getInt(RPC_MAX, DEFAULT_RPC_MAX_MIB);
        long needed = withMargin(4 * size.stateSize());
        if (needed <= ((long) maxMib << 20)) {
            return;
        }
        String fix = mibCeil(needed) <= 2047 ? "set " + RPC_MAX + " to " + mibCeil(needed) + " or more (MiB, at most"
                + " 2047), or averageOptimizerState to true" : "set averageOptimizerState to true (a state this large"
                + " exceeds " + RPC_MAX + "'s limit of 2047 MiB)";
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s is %d (MiB)%s, but with "
                        + "averageOptimizerState=false every training task carries its partition's own optimizer state, "
                        + "%s; %s", RPC_MAX, maxMib, conf.contains(RPC_MAX) ? "" : " (Spark's default)",
                ReductionPlan.mib(needed), fix));
    }

    private static void checkDriverMemory(ReductionPlan plan, FitSize size, Environment env) {
        long driver = driverBytes(plan, size);
        long tasks = env.localTaskSlots() == 0 ? 0
                : executorSharedBytes(size) + (long) Math.min(env.localTaskSlots(), size.partitions()) * taskBytes(plan, size);
        long needed = withMargin(driver + tasks) + RESERVED_BYTES;
        if (needed <= env.driverHeapBytes()) {
            return;
        }
        String what = "the driver needs about " + ReductionPlan.mib(driver) + " for the state, the broadcast and "
                + "the round's results (reduction=" + plan.path().settingName() + ")";
        if (env.localTaskSlots() > 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "the driver's heap is %s, but %s and, with "
                            + "a local master, %s more for the broadcast and %d concurrent training tasks (not counting "
                            + "activations): %s with Spark's reserve. Start the driver JVM with -Xmx%dm or more (JAVA_OPTS "
                            + "for ./submit.sh embedded runs; %s cannot resize a running JVM), or use fewer local threads",
                    ReductionPlan.mib(env.driverHeapBytes()), what, ReductionPlan.mib(tasks),
                    Math.min(env.localTaskSlots(), size.partitions()), ReductionPlan.mib(needed), mibCeil(needed),
                    DRIVER_MEMORY));
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "the driver's heap (%s) is %s, but %s: %s "
                        + "with Spark's reserve; set %s to %dm or more", DRIVER_MEMORY,
                ReductionPlan.mib(env.driverHeapBytes()), what, ReductionPlan.mib(needed), DRIVER_MEMORY, mibCeil(needed)));
    }

    private static void checkExecutorMemory(ReductionPlan plan, FitSize size, SparkConf conf) {
        long heap = conf.contains(EXECUTOR_MEMORY) ? conf.getSizeAsBytes(EXECUTOR_MEMORY) : DEFAULT_EXECUTOR_BYTES;
        // Unset, a standalone executor takes all its worker's cores, which the driver cannot know: count one.
        int cores = Math.max(1, conf.getInt(EXECUTOR_CORES, 1));
        long needed = withMargin(executorSharedBytes(size) + cores * taskBytes(plan, size)) + RESERVED_BYTES;
        if (needed <= heap) {
            return;
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s is %s%s, but an executor holds the round's "
                        + "broadcast twice (%s) and runs %d training task%s of at least %s each (not counting "
                        + "activations): %s with Spark's reserve; set %s to %dm or more", EXECUTOR_MEMORY,
                ReductionPlan.mib(heap), conf.contains(EXECUTOR_MEMORY) ? "" : " (Spark's default)",
                ReductionPlan.mib(executorSharedBytes(size)), cores, cores == 1 ? "" : "s",
                ReductionPlan.mib(taskBytes(plan, size)), ReductionPlan.mib(needed), EXECUTOR_MEMORY, mibCeil(needed)));
    }

    /**
     * The driver's share of a round: weights, EMA and optimizer state(s); the broadcast's serialized blocks; and
     * the reduction's results: the tree's running sum (double sums once a second result arrives), the partial sums
     * arriving at once (up to Spark's 4 result getters), three copies each while they arrive, then the means; the slices' means and one job's slices (three copies while they arrive).
     */
    static long driverBytes(ReductionPlan plan, FitSize size) {
        long state = 4 * (2 * size.numParameters()
                + (size.averageOptimizerState() ? size.stateSize() : size.stateSize() * size.partitions()));
        long broadcast = 4 * size.broadcastFloats();
        long means = ReductionPlan.slicedDriverBytes(size);
        long results;
        if (plan.path() == Reduction.TREE) {
            int n = ReductionPlan.treeDriverResults(size.partitions());
            long partial = plan.driverBytesPerRound() / n;
            // Spark's result getters (4 threads) fetch and deserialize up to 4 results at once, each held three
            // times meanwhile: the fetched bytes, their copy in the task result, the deserialized value.
            results = (n == 1 ? 0 : 16 * size.resultFloats()) + 3L * Math.min(n, RESULT_GETTER_THREADS) * partial
                    + means;
        } else {
            results = means + 3 * plan.driverBytesPerJob();
        }
        return state + broadcast + results;
    }

    /**
     * A training task: weights and gradients, the optimizer's state and its returned copy, an own state when
     * states are not averaged; or a reduction task, if larger: the tree's running sum and one partial arriving (when
     * the tree merges on executors at all), or a slice reducer's pieces and its double sums.
     */
    static long taskBytes(ReductionPlan plan, FitSize size) {
        long training = 4 * (2 * size.numParameters() + 2 * size.stateSize()
                + (size.averageOptimizerState() ? 0 : size.stateSize()));
        long reduction;
        if (plan.path() == Reduction.TREE) {
            boolean merges = ReductionPlan.treeDriverResults(size.partitions()) < size.partitions();
            reduction = merges ? 2 * 16 * size.resultFloats() : 0;
        } else {
            long pieceFloats = (size.resultFloats() + plan.slices() - 1) / plan.slices();
            reduction = (4L * size.partitions() + 16) * pieceFloats;
        }
        return Math.max(training, reduction);
    }

    /** What every executor holds once: the broadcast's value and its blocks. */
    static long executorSharedBytes(FitSize size) {
        return 2 * 4 * size.broadcastFloats();
    }

    /** The largest single object the reduction serializes: a partial sum, a piece or an averaged slice. */
    static long largestReductionObject(ReductionPlan plan, FitSize size) {
        if (plan.path() == Reduction.TREE) {
            int n = ReductionPlan.treeDriverResults(size.partitions());
            return plan.driverBytesPerRound() / n;
        }
        long piece = 4 * ((size.resultFloats() + plan.slices() - 1) / plan.slices());
        return Math.max(piece, plan.driverBytesPerJob() / plan.slicesPerJob());
    }

    /** The tasks a local master ({@code local}, {@code local[N]}, {@code local[*]}, {@code local[N,F]}) runs at once; 0 otherwise. */
    static int localTaskSlots(String master) {
        if (master.equals("local")) {
            return 1;
        }
        var m = java.util.regex.Pattern.compile("local\\[(\\*|\\d+)(,\\d+)?]").matcher(master);
        if (!m.matches()) {
            return 0;
        }
        return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
    }

    private static long withMargin(long bytes) {
        return (long) (bytes * MARGIN) + MARGIN_BYTES;
    }

    private static long mibCeil(long bytes) {
        return (bytes + (1L << 20) - 1) >> 20;
    }
}
