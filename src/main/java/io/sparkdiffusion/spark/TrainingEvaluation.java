package io.sparkdiffusion.spark;

import io.sparkdiffusion.metrics.QualityReport;
import io.sparkdiffusion.train.EvaluationRecord;
import io.sparkdiffusion.train.RoundListener;
import io.sparkdiffusion.train.RoundRecord;
import io.sparkdiffusion.train.TrainingState;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

import static org.apache.spark.sql.functions.col;

/**
 * Sample quality while training ({@link DiffusionTrainer}'s {@code evalInterval}): after every {@code interval}-th
 * round and after the last, the EMA weights draw {@code numSamples} images with the seeds {@code 0 .. numSamples-1}
 * (the same seeds every time; for a class-conditional model seed {@code s} is drawn for class
 * {@code s mod numClasses}, as {@code ./submit.sh evaluate} does), in Spark partitions through
 * {@link DiffusionModel#transform}, and a {@link DiffusionEvaluator} scores them.
 *
 * <p>It runs on the driver between rounds, as a {@link RoundListener} wrapped around the user's: its jobs draw no
 * random numbers of the training (every sample has its own seed, every training draw is seeded from the training
 * seed, step and partition), so a run with evaluation trains exactly the weights of a run without.
 */
final class TrainingEvaluation implements RoundListener {
    private static final long serialVersionUID = 1L;
    static final String SEED = "seed";
    static final String LABEL = "label";

    private final transient SparkSession spark;
    private final transient BiFunction<float[], float[], DiffusionModel> modelOf;
    private final transient DiffusionModel sampling;
    private final transient DiffusionEvaluator evaluator;
    private final transient RoundListener downstream;
    private final transient TrainingState state;
    private final String uid;
    private final int interval;
    private final int numSamples;
    private final List<EvaluationRecord> records = new ArrayList<>();

    /**
     * @param modelOf    a model of the trainer's network and Params around (weights, EMA)
     * @param sampling   a model whose explicitly set sampler Params the evaluation uses, or null for the defaults
     * @param evaluator  scores the samples (its feature network set)
     * @param state      the training state, which each round updates in place
     * @param downstream the user's listener, or null
     */
    TrainingEvaluation(SparkSession spark, String uid, int interval, int numSamples,
                       BiFunction<float[], float[], DiffusionModel> modelOf, DiffusionModel sampling,
                       DiffusionEvaluator evaluator, TrainingState state, RoundListener downstream) {
        this.spark = spark;
        this.uid = uid;
        this.interval = interval;
        this.numSamples = numSamples;
        this.modelOf = modelOf;
        this.sampling = sampling;
        this.evaluator = evaluator;
        this.state = state;
        this.downstream = downstream;
    }

    /** Whether the weights after round {@code round} (from 0) are evaluated. */
    static boolean isDue(int round, int interval, int plannedRounds) {
        return (round + 1) % interval == 0 || round + 1 == plannedRounds;
    }

    @Override
    public void onRound(RoundRecord record, int plannedRounds) {
        if (isDue(record.round(), interval, plannedRounds)) {
            EvaluationRecord e = evaluate(record.round(), record.imagesSeen());
            records.add(e);
            if (downstream != null) {
                downstream.onEvaluation(e);
            }
        }
        if (downstream != null) {
            downstream.onRound(record, plannedRounds);
        }
    }

    /** The evaluations so far, in order. */
    List<EvaluationRecord> records() {
        return List.copyOf(records);
    }

    /** Scores the current EMA weights. */
    EvaluationRecord evaluate(int round, long imagesSeen) {
        long t0 = System.nanoTime();
        DiffusionModel model = modelOf.apply(state.params().clone(), state.ema().clone());
        if (sampling != null) {
            model.copySamplingParams(sampling);
        }
        int classes = model.getNumClasses();
        model.setUseEma(true).setSeedCol(SEED).setLabelCol(classes > 0 ? LABEL : "").setImageCol("");
        int partitions = Math.max(1, Math.min(numSamples, spark.sparkContext().defaultParallelism()));
        QualityReport report;
        try (JobGroup group = JobGroup.open(spark.sparkContext(), uid, String.format(Locale.ROOT,
                "DiffusionTrainer %s: evaluating the EMA weights after round %d (%,d samples)", uid, round + 1,
                numSamples))) {
            Dataset<Row> samples = model.transform(seeds(spark, numSamples, classes, partitions))
                    .persist(StorageLevel.MEMORY_AND_DISK());
            try {
                report = evaluator.copy(org.apache.spark.ml.param.ParamMap.empty())
                        .setInputCol(model.getOutputCol()).setLabelCol(classes > 0 ? LABEL : "").setKeyCol(SEED)
                        .report(samples);
            } finally {
                samples.unpersist();
                model.destroyWeightBroadcasts();
            }
        }
        return new EvaluationRecord(round, imagesSeen, System.nanoTime() - t0, report);
    }

    /** Seeds {@code 0 .. n-1} ({@code long}) and, for {@code numClasses > 0}, the class {@code seed mod numClasses}. */
    static Dataset<Row> seeds(SparkSession spark, int n, int numClasses, int partitions) {
        Dataset<Row> ids = spark.range(0, n, 1, partitions).toDF();
        Column seed = col("id").as(SEED);
        return numClasses == 0 ? ids.select(seed)
                : ids.select(seed, col("id").mod(numClasses).cast(DataTypes.IntegerType).as(LABEL));
    }
}
