package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.DivergencePolicy;
import io.sparkdiffusion.train.Objective;
import io.sparkdiffusion.train.OuterOptimizer;
import io.sparkdiffusion.train.LocalTrainer;
import io.sparkdiffusion.train.PartitionResult;
import io.sparkdiffusion.train.RoundListener;
import io.sparkdiffusion.train.RoundRecord;
import io.sparkdiffusion.train.RoundResult;
import io.sparkdiffusion.train.RoundStart;
import io.sparkdiffusion.train.Seeds;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.SliceLayout;
import io.sparkdiffusion.train.SyncMode;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingDivergedException;
import io.sparkdiffusion.train.TrainingState;
import io.sparkdiffusion.train.TrainingSummary;
import io.sparkdiffusion.train.WeightedSum;
import org.apache.spark.HashPartitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import scala.Tuple2;
import scala.Tuple3;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Parameter-averaging training as a sequence of ordinary Spark jobs, one per round:
 * <ol>
 *   <li>broadcast the weights and optimizer state ({@link RoundStart});</li>
 *   <li>each partition runs {@code localSteps} steps on its cached {@link Shard} ({@link LocalTrainer}), its
 *       randomness seeded from (seed, global step, partition), so a retried task repeats itself exactly;</li>
 *   <li>the results come back image-weighted: through {@code treeAggregate} as a {@link WeightedSum}, or, for
 *       large models, cut into parameter slices that executors average ({@link SlicedReduction}), so that the
 *       driver receives only the averaged floats ({@link ReductionPlan} chooses, once per fit);</li>
 *   <li>the driver divides, updates the EMA, records the round and destroys the broadcast.</li>
 * </ol>
 * No barrier mode, no servers: a lost executor only costs the retry of its tasks.
 *
 * <p>Before a round's results replace the state, the driver checks them: a NaN or infinite mean loss, weight or
 * optimizer state means the round diverged, and it is discarded; the run then backs off the learning rate or
 * stops, per its {@link DivergencePolicy}.
 */
final class DistributedTraining {

    /** What a partition without a shard trains on in syncMode gradients: nothing. */
    private static final Shard EMPTY = new Shard(new float[0], null, 1);

    /** The most partial sums the driver receives per round; deeper trees keep it there as partitions grow. */
    static final int MAX_DRIVER_FAN_IN = 8;
    private static final System.Logger LOG = System.getLogger(DistributedTraining.class.getName());

    record Result(TrainingState state, TrainingSummary summary) {
    }

    private DistributedTraining() {
    }

    /**
     * One {@link Shard} per partition of {@code data}, cached. Rows keep their partition; nothing is shuffled.
     *
     * @param labelCol the label column, or {@code null} for unlabelled training; a null label means "no label" (-1)
     */
    static JavaRDD<Shard> shards(Dataset<Row> data, String imageCol, String labelCol, int imageSize, int numClasses) {
        Dataset<Row> cols = labelCol == null ? data.select(imageCol) : data.select(imageCol, labelCol);
        JavaRDD<Shard> shards = cols.javaRDD().mapPartitions(
                (Iterator<Row> rows) -> List.of(toShard(rows, imageCol, labelCol, imageSize, numClasses)).iterator());
        return shards.persist(StorageLevel.MEMORY_AND_DISK());
    }

    /**
     * The shards of {@link SyncMode#GRADIENTS}, cached: every image goes to group {@code h mod groups}, {@code h} a
     * 64-bit hash of its label and pixels ({@link #contentHash}), and group {@code g} to partition
     * {@code g mod P} ({@code P} the partitions of {@code data}); within a shard the images are ordered by group, then
     * hash. So a group holds the same images in the same order however the data was partitioned, and the draws of
     * {@link io.sparkdiffusion.train.LocalTrainer#gradient} do not depend on {@code P}. Costs one shuffle of the
     * training data.
     *
     * @throws IllegalArgumentException (when the shards are computed) if some group gets no image
     */
    static JavaRDD<Shard> groupedShards(Dataset<Row> data, String imageCol, String labelCol, int imageSize,
                                        int numClasses, int groups) {
        Dataset<Row> cols = labelCol == null ? data.select(imageCol) : data.select(imageCol, labelCol);
        int partitions = cols.javaRDD().getNumPartitions();
        boolean labelled = labelCol != null;
        JavaPairRDD<Integer, Tuple3<Long, float[], Integer>> keyed = cols.javaRDD()
                .mapPartitions((Iterator<Row> rows) -> List.of(toShard(rows, imageCol, labelCol, imageSize, numClasses))
                        .iterator())
                .flatMapToPair(shard -> {
                    List<Tuple2<Integer, Tuple3<Long, float[], Integer>>> out = new ArrayList<>(shard.size());
                    for (int i = 0; i < shard.size(); i++) {
                        float[] image = Arrays.copyOfRange(shard.images(), i * imageSize, (i + 1) * imageSize);
                        int label = labelled ? shard.labels()[i] : -1;
                        long hash = contentHash(image, label);
                        out.add(new Tuple2<>((int) Long.remainderUnsigned(hash, groups), new Tuple3<>(hash, image, label)));
                    }
                    return out.iterator();
                });
        JavaRDD<Shard> shards = keyed.partitionBy(new HashPartitioner(partitions))
                .mapPartitions(it -> List.of(toGroupedShard(it, imageSize, labelled)).iterator());
        return shards.persist(StorageLevel.MEMORY_AND_DISK());
    }

    /**
     * SplitMix64's finalizer chained over the label and the pixels' bits: equal images with equal labels hash
     * equal, whatever partition or position they come from.
     */
    static long contentHash(float[] image, int label) {
        long h = Seeds.mix64(0x9E3779B97F4A7C15L ^ label);
        for (float x : image) {
            h = Seeds.mix64(h ^ Float.floatToIntBits(x));
        }
        return h;
    }

    private static Shard toGroupedShard(Iterator<Tuple2<Integer, Tuple3<Long, float[], Integer>>> rows, int imageSize,
                                        boolean labelled) {
        List<Tuple2<Integer, Tuple3<Long, float[], Integer>>> all = new ArrayList<>();
        rows.forEachRemaining(all::add);
        all.sort(Comparator.<Tuple2<Integer, Tuple3<Long, float[], Integer>>>comparingInt(Tuple2::_1)
                .thenComparingLong(t -> t._2()._1())
                .thenComparingInt(t -> t._2()._3())
                .thenComparing((a, b) -> Arrays.compare(a._2()._2(), b._2()._2())));
        int n = all.size();
        if ((long) n * imageSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a partition holds " + n + " images of " + imageSize
                    + " floats, too many for one array: train on more partitions");
        }
        float[] images = new float[n * imageSize];
        int[] labels = labelled ? new int[n] : null;
        List<Integer> ids = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var t = all.get(i);
            if (i == 0 || t._1() != (int) all.get(i - 1)._1()) {
                ids.add(t._1());
                starts.add(i);
            }
            System.arraycopy(t._2()._2(), 0, images, i * imageSize, imageSize);
            if (labels != null) {
                labels[i] = t._2()._3();
            }
        }
        starts.add(n);
        return new Shard(images, labels, imageSize, ids.stream().mapToInt(Integer::intValue).toArray(),
                starts.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Checks that the grouped shards hold all {@code groups} groups (each non-empty by construction).
     *
     * @param images the shards' images in total (for the message)
     * @throws IllegalArgumentException naming how many groups got no image and what to change
     */
    static void requireAllGroups(JavaRDD<Shard> shards, int groups, long images) {
        long filled = shards.map(s -> s.grouped() ? s.groupIds().length : 0).reduce(Integer::sum);
        if (filled != groups) {
            throw new IllegalArgumentException("syncMode gradients splits the " + images + " training images into "
                    + "globalBatchSize = " + groups + " groups by a hash of their content, one image of each group per "
                    + "step, and " + (groups - filled) + " groups got no image: train on more images (a few times "
                    + "globalBatchSize at least) or set a smaller globalBatchSize");
        }
    }

    private static Shard toShard(Iterator<Row> rows, String imageCol, String labelCol, int imageSize, int numClasses) {
        float[] images = new float[16 * imageSize];
        int[] labels = labelCol == null ? null : new int[16];
        int n = 0;
        while (rows.hasNext()) {
            Row row = rows.next();
            if ((long) (n + 1) * imageSize > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("a partition holds more than " + n + " images of " + imageSize
                        + " floats, too many for one array: repartition the training data into more partitions");
            }
            if ((n + 1) * imageSize > images.length) {
                images = Arrays.copyOf(images, (int) Math.min(Integer.MAX_VALUE - 8L, 2L * images.length));
                if (labels != null) {
                    labels = Arrays.copyOf(labels, 2 * labels.length);
                }
            }
            if (!ImageColumns.readTensor(row, 0, images, n * imageSize, imageSize, imageCol)) {
                throw new IllegalArgumentException("image column '" + imageCol + "' holds a null image: drop such rows"
                        + " (e.g. ImageTensorizer with handleInvalid=skip)");
            }
            if (labels != null) {
                labels[n] = row.isNullAt(1) ? -1 : (int) ((Number) row.get(1)).longValue();
                if (labels[n] < -1 || labels[n] >= numClasses) {
                    throw new IllegalArgumentException("label column '" + labelCol + "' holds " + labels[n]
                            + ", expected a class in [0, " + numClasses + ") (numClasses = " + numClasses + ")");
                }
            }
            n++;
        }
        return new Shard(Arrays.copyOf(images, n * imageSize), labels == null ? null : Arrays.copyOf(labels, n),
                imageSize);
    }

    /** The number of images in each partition (and materializes the cache). */
    static int[] shardSizes(JavaRDD<Shard> shards) {
        return shards.map(Shard::size).collect().stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Images one round trains on: each non-empty partition runs localSteps steps of min(its batch, its size), its
     * batch from {@link TrainingConfig#batchSizes}.
     */
    static long imagesPerRound(int[] sizes, TrainingConfig config) {
        int[] batches = config.batchSizes(sizes.length);
        long images = 0;
        for (int p = 0; p < sizes.length; p++) {
            images += (long) config.localSteps() * Math.min(sizes[p], batches[p]);
        }
        return images;
    }

    /**
     * The {@code treeAggregate} depth for {@code partitions} partial sums: at least 2, and enough that the driver
     * merges at most about {@link #MAX_DRIVER_FAN_IN} sums (Spark's fan-in per level is
     * {@code ceil(partitions^(1/depth))}); each sum is a few copies of the weights, so the driver's share of the
     * result bytes stays bounded however many partitions train.
     */
    static int aggregationDepth(int partitions) {
        int depth = 2;
        while (Math.ceil(Math.pow(partitions, 1.0 / depth)) > MAX_DRIVER_FAN_IN) {
            depth++;
        }
        return depth;
    }

    /**
     * Runs rounds until {@code state.round() == plannedRounds}, updating {@code state} in place.
     *
     * @param listener    called after each round, or null
     * @param checkpoints where to save the state every few rounds, or null
     */
    static Result run(JavaRDD<Shard> shards, Objective objective, TrainingConfig config, TrainingState state,
                      int plannedRounds, RoundListener listener, Checkpoints checkpoints) {
        return run(shards, objective, config, state, plannedRounds, listener, checkpoints, DivergencePolicy.STOP);
    }

    /**
     * Runs rounds until {@code state.round() == plannedRounds}, updating {@code state} in place; a diverged round
     * is discarded and handled per {@code divergence}.
     *
     * @throws TrainingDivergedException when a round diverges and the policy says stop (or its backoffs are spent)
     */
    static Result run(JavaRDD<Shard> shards, Objective objective, TrainingConfig baseConfig, TrainingState state,
                      int plannedRounds, RoundListener listener, Checkpoints checkpoints, DivergencePolicy divergence) {
        return run(shards, objective, baseConfig, state, plannedRounds, listener, checkpoints, divergence,
                "DistributedTraining");
    }

    /**
     * As above, each round a Spark job in job group {@code uid} described as {@code DiffusionTrainer <uid>: round
     * r/N} (cancelling the group stops the fit; the last checkpoint stays as it was). The engines the tasks report
     * are logged once, with a warning naming any executor on a slow fallback ({@link EngineReport}).
     */
    static Result run(JavaRDD<Shard> shards, Objective objective, TrainingConfig baseConfig, TrainingState state,
                      int plannedRounds, RoundListener listener, Checkpoints checkpoints, DivergencePolicy divergence,
                      String uid) {
        return run(shards, objective, baseConfig, state, plannedRounds, listener, checkpoints, divergence, uid, null);
    }

    /**
     * As above, averaging each round by {@code plan} (logged once); null chooses automatically
     * ({@link ReductionPlan#choose} with {@link Reduction#AUTO} and the context's settings).
     */
    static Result run(JavaRDD<Shard> shards, Objective objective, TrainingConfig baseConfig, TrainingState state,
                      int plannedRounds, RoundListener listener, Checkpoints checkpoints, DivergencePolicy divergence,
                      String uid, ReductionPlan plan) {
        return run(shards, objective, baseConfig, state, plannedRounds, 0, listener, checkpoints, divergence, uid,
                plan);
    }

    /**
     * As above, the first {@code shortRounds} rounds of the run (by round index, so a resumed run continues the
     * schedule) short rounds of post-local SGD: one local step each, plainly averaged, the outer momentum left
     * as it was ({@link TrainingConfig#shortRound}, {@link TrainingState#averageStep}).
     */
    static Result run(JavaRDD<Shard> shards, Objective objective, TrainingConfig baseConfig, TrainingState state,
                      int plannedRounds, int shortRounds, RoundListener listener, Checkpoints checkpoints,
                      DivergencePolicy divergence, String uid, ReductionPlan plan) {
        if (shortRounds < 0) {
            throw new IllegalArgumentException("shortRounds must be >= 0, got " + shortRounds);
        }
        ReductionPlan reduction = plan != null ? plan : ReductionPlan.choose(Reduction.AUTO, new ReductionPlan.FitSize(
                objective.numParameters(), state.stateSize(), shards.getNumPartitions(),
                baseConfig.averageOptimizerState()), shards.context().getConf());
        LOG.log(System.Logger.Level.INFO, "spark-diffusion reduction: " + reduction.path().settingName() + ", because "
                + reduction.reason());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(shards.context());
        CollectionAccumulator<EngineReport> engines = shards.context().collectionAccumulator("spark-diffusion engines");
        Set<EngineReport> engineMix = new HashSet<>();
        try (JobGroup group = JobGroup.open(shards.context(), uid, "DiffusionTrainer " + uid)) {
            return run(jsc, shards, objective, baseConfig, state, plannedRounds, shortRounds, listener, checkpoints,
                    divergence, reduction, round -> {
                        group.describe("DiffusionTrainer " + uid + ": round " + (round + 1) + "/" + plannedRounds);
                        engines.reset();
                    },
                    () -> logEngines(engines.value(), engineMix),
                    engines);
        }
    }

    /** Logs the engines of executors not seen before in this fit; warns about those on a slow fallback. */
    private static void logEngines(List<EngineReport> reports, Set<EngineReport> seen) {
        List<EngineReport> fresh = reports.stream().distinct().filter(r -> !seen.contains(r)).toList();
        if (fresh.isEmpty()) {
            return;
        }
        LOG.log(System.Logger.Level.INFO, "spark-diffusion engines" + (seen.isEmpty() ? "" : " (new executors)")
                + ": " + EngineReport.mix(fresh));
        seen.addAll(fresh);
        String warning = EngineReport.warning(fresh);
        if (warning != null) {
            LOG.log(System.Logger.Level.WARNING, "spark-diffusion: " + warning);
        }
    }

    private static Result run(JavaSparkContext jsc, JavaRDD<Shard> shards, Objective objective,
                              TrainingConfig baseConfig, TrainingState state, int plannedRounds, int shortRounds,
                              RoundListener listener, Checkpoints checkpoints, DivergencePolicy divergence,
                              ReductionPlan reduction, IntConsumer beforeRound, Runnable afterRound,
                              CollectionAccumulator<EngineReport> engines) {
        int backoffs = 0;
        List<RoundRecord> records = new ArrayList<>();
        boolean averageState = baseConfig.averageOptimizerState();
        int depth = aggregationDepth(shards.getNumPartitions());
        // syncMode gradients: the partitions send gradients and no optimizer state; the driver keeps the state.
        boolean gradients = baseConfig.syncMode() == SyncMode.GRADIENTS;
        boolean shipState = averageState && !gradients;
        SliceLayout layout = reduction.path() == Reduction.SLICED ? new SliceLayout(objective.numParameters(),
                gradients ? 0 : state.stateSize(), reduction.slices()) : null;
        // The last destroyed round broadcast, kept reachable (the fences below) until the next round's is destroyed.
        // destroy() removes the blocks asynchronously, and the ContextCleaner removes them a second time once the
        // Broadcast is garbage collected on the driver; if that comes before the first removal ends, the block
        // manager logs "Asked to remove block broadcast_N_pieceK, which does not exist". A round later the first
        // removal has long finished.
        Broadcast<RoundStart> destroyed = null;
        while (state.round() < plannedRounds) {
            boolean shortRound = state.round() < shortRounds;
            TrainingConfig scaled = state.learningRateScale() == 1.0 ? baseConfig
                    : baseConfig.withLearningRate(baseConfig.learningRate() * state.learningRateScale());
            TrainingConfig config = shortRound ? scaled.shortRound() : scaled;
            beforeRound.accept(state.round());
            long t0 = System.nanoTime();
            RoundStart round = state.roundStart();
            // Own optimizer states (averageOptimizerState = false) travel inside their partition's task only,
            // not in the broadcast every partition fetches.
            Broadcast<RoundStart> start = jsc.broadcast(shipState ? round
                    : new RoundStart(round.round(), round.startStep(), round.params(), null, Map.of(), round.stateSize()));
            long broadcastNanos = System.nanoTime() - t0;

            int numPartitions = shards.getNumPartitions();
            List<float[]> ownStates = new ArrayList<>();
            for (int p = 0; p < numPartitions; p++) {
                ownStates.add(averageState ? null : round.stateFor(p));
            }
            JavaRDD<float[]> states = jsc.parallelize(ownStates, numPartitions);
            JavaRDD<PartitionResult> results = shards.zipPartitions(states, (Iterator<Shard> it, Iterator<float[]> own) -> {
                int p = TaskContext.getPartitionId();
                Shard shard = it.hasNext() ? it.next() : null;
                RoundStart s = start.value();
                float[] optimizerState = averageState ? s.sharedState() : own.next();
                PartitionResult r = gradients
                        ? LocalTrainer.gradient(objective, config, shard == null ? EMPTY : shard, p, s.params(),
                        s.startStep())
                        : shard == null ? new PartitionResult(p, s.params(), optimizerState, 0, 0, 0)
                        : LocalTrainer.run(objective, config.forPartition(p, numPartitions), shard, p, s.params(),
                        optimizerState, s.startStep(), config.localSteps());
                engines.add(EngineReport.current());
                return List.of(r).iterator();
            });
            RoundResult reduced = layout != null ? SlicedReduction.reduce(results, reduction, layout, averageState)
                    : results.treeAggregate(new WeightedSum(averageState), WeightedSum::add, WeightedSum::merge, depth);

            afterRound.run();
            RoundResult sum = reduced;
            String problem;
            if (gradients) {
                // First the partitions' gradients, then the driver's step on them.
                problem = !Double.isFinite(reduced.meanLoss()) ? "the mean loss is " + reduced.meanLoss()
                        : DivergencePolicy.firstNonFinite("mean gradient entry", reduced.meanParams());
                if (problem == null) {
                    sum = state.gradientStep(reduced, config);
                    problem = divergence(sum, true);
                }
            } else {
                problem = divergence(reduced, averageState);
            }
            OuterOptimizer.Step outer = problem != null ? null
                    : shortRound ? state.averageStep(sum) : state.outerStep(sum, config);
            problem = problem != null ? problem : TrainingState.outerProblem(outer);
            if (problem != null) {
                start.destroy();
                Reference.reachabilityFence(destroyed);
                destroyed = start;
                String where = "steps " + state.step() + ".." + (state.step() + config.localSteps() - 1)
                        + " at learning rate " + config.learningRate() + ": " + problem;
                if (!divergence.mayBackOff(backoffs)) {
                    throw diverged(state.round(), where, checkpoints, divergence, backoffs);
                }
                backoffs++;
                state.setLearningRateScale(state.learningRateScale() * divergence.learningRateBackoff());
                LOG.log(System.Logger.Level.WARNING, "round " + state.round() + " diverged (" + where
                        + "); discarded, rerunning it at learning rate "
                        + baseConfig.learningRate() * state.learningRateScale() + " (backoff " + backoffs + " of "
                        + divergence.maxBackoffs() + ")");
                continue;
            }
            state.finishRound(sum, outer, config);
            long t1 = System.nanoTime();
            start.destroy();
            Reference.reachabilityFence(destroyed);
            destroyed = start;
            broadcastNanos += System.nanoTime() - t1;
            long total = System.nanoTime() - t0;
            long compute = sum.maxComputeNanos();
            RoundRecord record = new RoundRecord(state.round() - 1, sum.images(), state.imagesSeen(), sum.partitions(),
                    sum.meanLoss(), broadcastNanos, compute, sum.totalComputeNanos(),
                    Math.max(0, total - broadcastNanos - compute), total);
            records.add(record);
            if (checkpoints != null) {
                checkpoints.maybeSave(state);
            }
            if (listener != null) {
                listener.onRound(record, plannedRounds);
            }
        }
        Reference.reachabilityFence(destroyed);
        return new Result(state, new TrainingSummary(records));
    }

    /** What is not finite in a round's results, or null when the round is sound. */
    private static String divergence(RoundResult sum, boolean averageState) {
        String problem = DivergencePolicy.problem(sum.meanLoss(), sum.meanParams(),
                averageState ? sum.meanOptimizerState() : null);
        if (problem == null && !averageState) {
            for (var e : sum.partitionStates().entrySet()) {
                problem = DivergencePolicy.firstNonFinite("optimizer state entry of partition " + e.getKey(), e.getValue());
                if (problem != null) {
                    break;
                }
            }
        }
        return problem;
    }

    private static TrainingDivergedException diverged(int round, String where, Checkpoints checkpoints,
                                                      DivergencePolicy policy, int backoffs) {
        String advice = backoffs > 0
                ? "It still diverged after " + backoffs + " learning-rate backoffs (maxBackoffs " + policy.maxBackoffs()
                + "): lower learningRate, raise warmupSteps or set gradClip, and resume with forceResume=true (the changed"
                + " Params differ from the checkpoint's on purpose)."
                : "Lower learningRate, raise warmupSteps or set gradClip and resume with forceResume=true"
                + (policy.action() == DivergencePolicy.Action.STOP
                ? ", or set onDivergence=backoff to retry such rounds at a lower rate." : ".");
        return new TrainingDivergedException(round, where, checkpoints == null ? null : checkpoints.lastGood(), advice);
    }
}
