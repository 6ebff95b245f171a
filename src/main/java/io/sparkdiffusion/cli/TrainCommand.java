package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import io.sparkdiffusion.spark.DiffusionModel;
import io.sparkdiffusion.spark.JobGroup;
import io.sparkdiffusion.spark.DiffusionTrainer;
import io.sparkdiffusion.spark.FeatureNetworkModel;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.train.RoundRecord;
import io.sparkdiffusion.train.TrainingConfig;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code train CONFIG.json [--key value ...]}: fit a model and write it with its metrics and pictures. */
public final class TrainCommand implements Command {

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train a model from a JSON config; writes model/, metrics.jsonl, loss.png, samples.png";
    }

    @Override
    public String help() {
        return """
                Usage: ./submit.sh [--master URL] train CONFIG.json [--key value ...]

                Trains a diffusion model as a Spark job. CONFIG.json holds the settings; its keys are the Spark Param
                names of the stages, and any key can be overridden on the command line by its kebab case
                (numRounds -> --num-rounds). The whole config is checked before Spark starts.

                Prints one line per round (round, images seen, loss, images/s, time left; with evalInterval > 0 the
                FID and class accuracy of the evaluated rounds' EMA weights). Writes to "output":
                  model/          the saved DiffusionModel (load it with DiffusionModel.load, or use sample/info)
                  metrics.jsonl   one JSON object per round
                  loss.png        the loss curve (log scale) against images seen
                  quality.png     with evalInterval > 0: FID and class accuracy against images seen
                  samples.png     a grid of samples, one row per class for a class-conditional model

                Examples:
                  ./submit.sh train conf/quick.json
                  ./submit.sh train conf/fashion-mnist.json
                  ./submit.sh train conf/quick.json --num-rounds 2 --output runs/try --overwrite true
                  ./submit.sh train conf/quick.json --eval-interval 2 --eval-samples 500 \\
                      --feature-model-path runs/features-fashion-mnist/model
                  JAVA_OPTS=-Xmx12g ./submit.sh train conf/fashion-mnist.json
                  ./submit.sh --master spark://host:7077 train conf/fashion-mnist.json \\
                      --data hdfs:///data/fashion-mnist --output hdfs:///runs/fashion-mnist

                Config keys (key, type, default, meaning):
                """ + schema().referenceText();
    }

    /** The keys of a training config: {@link TrainSettings#KEYS} plus the Params of {@code stages}. */
    static ConfigSchema schema(TrainStages stages) {
        return new ConfigSchema(TrainSettings.KEYS, stages.all(), TrainStages.MANAGED);
    }

    public static ConfigSchema schema() {
        return schema(TrainStages.fresh());
    }

    /**
     * Reads, checks and binds a config and its overrides; no Spark. The stages in {@code schema} carry the
     * Param values afterwards.
     */
    static TrainSettings load(String configPath, Map<String, String> overrides, ConfigSchema schema) {
        ObjectNode json = ConfigFile.read(configPath);
        return TrainSettings.from(schema.bind(json, configPath, checkpointsFollowOutput(json, overrides)));
    }

    /**
     * A config's {@code checkpointDir} inside its {@code output} moves with {@code --output}: {@code conf/x.json}
     * with output {@code runs/x} and checkpointDir {@code runs/x/checkpoints}, run with {@code --output runs/y},
     * checkpoints to {@code runs/y/checkpoints}, so a second run of the same config elsewhere neither resumes from nor
     * overwrites the first run's checkpoints. An explicit {@code --checkpoint-dir}, or a checkpointDir outside the
     * config's output, is kept as given.
     */
    static Map<String, String> checkpointsFollowOutput(ObjectNode json, Map<String, String> overrides) {
        String newOutput = overrides.get("output");
        if (newOutput == null || overrides.containsKey("checkpointDir") || !json.path("output").isTextual()
                || !json.path("checkpointDir").isTextual()) {
            return overrides;
        }
        String output = json.get("output").asText().replaceAll("/+$", "");
        String checkpoints = json.get("checkpointDir").asText();
        if (output.isEmpty() || !checkpoints.startsWith(output + "/")) {
            return overrides;
        }
        Map<String, String> moved = new java.util.LinkedHashMap<>(overrides);
        moved.put("checkpointDir", newOutput.replaceAll("/+$", "") + checkpoints.substring(output.length()));
        return moved;
    }

    @Override
    public int run(Args args) throws IOException {
        if (args.positional().size() != 1) {
            throw new UsageException("train needs exactly one config file, got " + args.positional()
                    + " (e.g. ./submit.sh train conf/quick.json; see --help)");
        }
        String configPath = args.positional().get(0);
        TrainStages stages = TrainStages.fresh();
        TrainSettings settings = load(configPath, args.options(), schema(stages));
        checkSettings(stages);
        HadoopPath output = checkPaths(settings, ClusterSettings.hadoopConfiguration());
        checkFeatureModel(stages.trainer(), ClusterSettings.hadoopConfiguration());

        SparkSession spark = Sessions.start("spark-diffusion train " + configPath);
        try {
            return train(spark, settings, stages, output);
        } finally {
            spark.stop();
        }
    }

    /** Whatever the stages can check without data: the network and the training and sampler settings. */
    static void checkSettings(TrainStages stages) {
        try {
            stages.trainer().networkConfig();
            stages.trainer().trainingConfig();
            stages.sampling().samplerSettings();
            stages.trainer().checkEvaluationSettings();
        } catch (IllegalArgumentException e) {
            throw new UsageException("config: " + e.getMessage(), e);
        }
        if (stages.tensorizer().getImageSize() != stages.trainer().getImageSize()
                || stages.tensorizer().getImageChannels() != stages.trainer().getImageChannels()) {
            throw new IllegalStateException("tensorizer and trainer disagree on the image shape");
        }
    }

    private static int train(SparkSession spark, TrainSettings settings, TrainStages stages, HadoopPath output)
            throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        int partitions = settings.numPartitions() > 0 ? settings.numPartitions()
                : ClusterSettings.defaultPartitions(spark.sparkContext());
        DiffusionTrainer trainer = stages.trainer();
        int[] batchSizes;
        String batches;
        try {
            TrainingConfig config = trainer.trainingConfig();
            batchSizes = config.batchSizes(partitions);
            batches = config.batchDescription(partitions);
        } catch (IllegalArgumentException e) {
            throw new UsageException("config: " + e.getMessage(), e);
        }
        TrainingData.Loaded data = TrainingData.load(spark, settings, hadoop, stages.tensorizer(), partitions);
        boolean conditional = trainer.getNumClasses() > 0;
        if (conditional && data.classNames().isEmpty()) {
            throw new UsageException("numClasses is " + trainer.getNumClasses() + " but the data " + settings.data()
                    + " has no labels (a parquet table needs an integer column 'label'); set numClasses to 0");
        }
        if (conditional && data.classNames().size() > trainer.getNumClasses()) {
            throw new UsageException("the data has " + data.classNames().size() + " classes " + data.classNames()
                    + " but numClasses is " + trainer.getNumClasses());
        }
        trainer.setInputCol(stages.tensorizer().getOutputCol()).setLabelCol(conditional ? TrainingData.LABEL : "");
        Dataset<Row> tensors = stages.tensorizer().transform(data.frame());

        long count = data.count();
        System.out.printf(Locale.ROOT, "training %s %s on %,d images (%s) in %d partitions: %s%n",
                trainer.getParameterization(), trainer.getNetwork(), count, settings.data(), partitions,
                trainer.getNumImages() > 0 ? String.format(Locale.ROOT, "%,d images", trainer.getNumImages())
                        : trainer.getNumRounds() + " rounds of " + trainer.getLocalSteps() + " steps x "
                        + batchSizes[0] + " images per partition");
        if (trainer.getGlobalBatchSize() > 0) {
            System.out.printf(Locale.ROOT, "globalBatchSize %d per step: %s%n", trainer.getGlobalBatchSize(), batches);
        }
        String outerSteps = trainer.getOuterInterval() > 0 ? "outerOptimizer " + trainer.getOuterOptimizer()
                + " every " + trainer.getOuterInterval() + " local steps on each partition" : null;
        if (trainer.getShortRoundImages() > 0) {
            System.out.printf(Locale.ROOT, "post-local SGD: rounds of 1 step, plainly averaged, for the first %,d "
                    + "images, then rounds of %d steps (%s)%n", trainer.getShortRoundImages(),
                    trainer.getLocalSteps(), outerSteps != null ? outerSteps
                            : "outerOptimizer " + trainer.getOuterOptimizer());
        } else if (outerSteps != null) {
            System.out.printf(Locale.ROOT, "%s; the rounds average every %d%n", outerSteps, trainer.getLocalSteps());
        }
        Progress progress = new Progress(System.out, trainer.getNumImages());
        trainer.setRoundListener(progress).setEvalSampling(stages.sampling());
        if (trainer.evaluates()) {
            System.out.printf(Locale.ROOT, "evaluating the EMA weights every %d rounds and after the last: %,d samples "
                    + "(seeds 0..%d, %s), scored by %s%n", trainer.getEvalInterval(), trainer.getEvalSamples(),
                    trainer.getEvalSamples() - 1, stages.sampling().getSampler(), trainer.getFeatureModelPath());
        }
        DiffusionModel model = trainer.fit(tensors);
        stages.applySampling(model);

        HadoopPath modelDir = output.child("model");
        model.write().overwrite().save(modelDir.toString());
        List<RoundRecord> rounds = model.summary().rounds();
        if (rounds.isEmpty()) {
            System.out.println("nothing to train: the checkpoint in " + trainer.getCheckpointDir() + " is already at the "
                    + "last round; saved its model (delete the checkpoints, or choose another checkpointDir, to train again)");
        }
        HadoopPath metricsFile = output.child("metrics.jsonl");
        String previous = metricsFile.exists() ? new String(metricsFile.readAllBytes(), StandardCharsets.UTF_8) : null;
        String metrics = Metrics.merge(previous, rounds, model.summary().evaluations());
        SampleFiles.writeFile(output, "metrics.jsonl", metrics.getBytes(StandardCharsets.UTF_8));
        if (!metrics.isBlank()) {
            SampleFiles.writeFile(output, "loss.png", Metrics.lossCurve(metrics, "training loss: "
                    + trainer.getParameterization() + ", " + trainer.getNetwork()));
        }
        boolean quality = Metrics.hasEvaluations(metrics);
        if (quality) {
            SampleFiles.writeFile(output, "quality.png", Metrics.qualityCurve(metrics, "sample quality: "
                    + trainer.getParameterization() + ", " + trainer.getNetwork()));
        }
        SampleFiles.writeFile(output, "samples.png", sampleGrid(spark, model, settings));
        model.summary().finalEvaluation().ifPresent(e -> System.out.printf(Locale.ROOT,
                "final quality (%,d samples, after round %d): %s%n", e.report().numSamples(), e.round() + 1,
                e.report().toJson()));
        System.out.printf(Locale.ROOT, "done: %,d images in %s (%.1f images/s); wrote %s/{model/, metrics.jsonl, "
                        + "loss.png, %ssamples.png}%n", model.summary().totalImages(),
                Progress.duration(model.summary().totalNanos()), model.summary().imagesPerSecond(), output,
                quality ? "quality.png, " : "");
        return 0;
    }

    /**
     * With evaluation on, {@code featureModelPath} must be a saved FeatureNetworkModel; the Param is set to the
     * path resolved against the working directory (checked before Spark starts, from its metadata alone).
     */
    static void checkFeatureModel(DiffusionTrainer trainer, Configuration hadoop) throws IOException {
        if (!trainer.evaluates()) {
            return;
        }
        HadoopPath features = HadoopPaths.resolve(trainer.getFeatureModelPath(), hadoop);
        ObjectNode metadata;
        try {
            metadata = InfoCommand.readMetadata(features.toString(), hadoop);
        } catch (UsageException e) {
            throw new UsageException("featureModelPath: " + e.getMessage() + " (train a feature network with "
                    + "./submit.sh features conf/features-fashion-mnist.json)", e);
        }
        String cls = metadata.path("class").asText();
        if (!cls.equals(FeatureNetworkModel.class.getName())) {
            throw new UsageException("featureModelPath " + trainer.getFeatureModelPath() + " is a " + cls + ", not a "
                    + FeatureNetworkModel.class.getName() + " (train one with ./submit.sh features)");
        }
        trainer.setFeatureModelPath(features.toString());
    }

    /** One row per class (seeds k, k + K, ... for class k) or gridRows x gridColumns unconditional samples. */
    static byte[] sampleGrid(SparkSession spark, DiffusionModel model, TrainSettings settings) {
        int classes = model.getNumClasses();
        int n = classes > 0 ? classes * settings.gridColumns() : settings.gridRows() * settings.gridColumns();
        Dataset<Row> seeds = SampleCommand.seeds(spark, 0, n, classes, -1,
                Math.min(n, spark.sparkContext().defaultParallelism()));
        model.setLabelCol(classes > 0 ? SampleCommand.LABEL : "");
        List<Row> rows;
        try (JobGroup group = JobGroup.open(spark.sparkContext(), model.uid(),
                String.format(Locale.ROOT, "DiffusionModel %s: sampling %,d images", model.uid(), n))) {
            rows = model.transform(seeds).select(SampleCommand.SEED, SampleCommand.LABEL, model.getOutputCol())
                    .collectAsList();
        } finally {
            model.destroyWeightBroadcasts();
        }
        return SampleFiles.grid(rows, imageShape(model), classes, settings.gridColumns());
    }

    static Shape imageShape(DiffusionModel model) {
        return Shape.of(model.getImageChannels(), model.getImageSize(), model.getImageSize());
    }

    /**
     * The data must exist, and output/model must not unless overwrite is set; checked before Spark starts.
     *
     * @return the output directory
     */
    static HadoopPath checkPaths(TrainSettings settings, Configuration hadoop) throws IOException {
        HadoopPath data = HadoopPaths.resolve(settings.data(), hadoop);
        if (!data.exists()) {
            throw new UsageException("data " + settings.data() + " does not exist (resolved to " + data + ")");
        }
        HadoopPath output = HadoopPaths.resolve(settings.output(), hadoop);
        if (output.child("model").exists() && !settings.overwrite()) {
            throw new UsageException("output " + output + " already holds a model; choose another output, or set "
                    + "\"overwrite\": true (--overwrite true) to replace it");
        }
        return output;
    }
}
