package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.metrics.BitsPerDim;
import io.sparkdiffusion.metrics.QualityReport;
import io.sparkdiffusion.spark.DiffusionEvaluator;
import io.sparkdiffusion.spark.DiffusionModel;
import io.sparkdiffusion.spark.FeatureNetworkModel;
import io.sparkdiffusion.spark.ImageTensorizer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code evaluate --model M --features F [--num N] [sampler options]}: draws N samples (seeds seed ..
 * seed + N - 1, class seed mod numClasses) and scores them with {@link DiffusionEvaluator}; prints JSON and a table.
 */
public final class EvaluateCommand implements Command {
    static final List<Setting> KEYS = List.of(
            new Setting("model", ValueType.STRING, null, "a DiffusionModel saved by train (its model/ directory)",
                    v -> !((String) v).isBlank(), "a path"),
            new Setting("features", ValueType.STRING, null,
                    "a feature network saved by ./submit.sh features (its model/ directory)",
                    v -> !((String) v).isBlank(), "a path"),
            new Setting("num", ValueType.INTEGER, 1000, "number of samples to draw and score",
                    v -> (Integer) v >= 2, "an integer >= 2"),
            new Setting("seed", ValueType.LONG, 0L, "first seed; the samples use seed .. seed + num - 1",
                    v -> (Long) v >= 0, "an integer >= 0"),
            new Setting("numNeighbors", ValueType.INTEGER, 3, "k of the k-NN precision and recall",
                    v -> (Integer) v >= 1, "an integer >= 1"),
            new Setting("precisionRecallSamples", ValueType.INTEGER, 2000,
                    "most rows of each set used for precision and recall", v -> (Integer) v >= 2, "an integer >= 2"),
            Setting.of("bpd", ValueType.BOOLEAN, false, "also measure bpd: the negative log-likelihood of the last "
                    + "bpdImages real images of data under the model, in bits per dimension"),
            new Setting("bpdImages", ValueType.INTEGER, 64, "real images bpd scores (the last ones of data)",
                    v -> (Integer) v >= 2, "an integer >= 2"),
            new Setting("bpdSteps", ValueType.INTEGER, 100, "Heun steps of bpd's probability-flow ODE",
                    v -> (Integer) v >= 1, "an integer >= 1"),
            new Setting("data", ValueType.STRING, "data/fashion-mnist", "the real images bpd scores: a directory or URI",
                    v -> !((String) v).isBlank(), "a path"),
            new Setting("dataFormat", ValueType.STRING, "idx", "how data is stored (as train's dataFormat)",
                    v -> DataFormat.isKey((String) v), "one of " + DataFormat.allowed()));

    @Override
    public String name() {
        return "evaluate";
    }

    @Override
    public String summary() {
        return "score a model's samples: FID, precision, recall, class accuracy (JSON and a table)";
    }

    @Override
    public String help() {
        return """
                Usage: ./submit.sh [--master URL] evaluate --model PATH --features PATH [--num N] [options]

                Draws N samples from a saved model as a Spark job (seeds seed .. seed+N-1; for a class-conditional
                model sample s is drawn for class s mod numClasses) and scores them against the reference of a
                feature network (./submit.sh features): fid (lower is better), precision, recall and, for a
                class-conditional model, classAccuracy overall and per class. Prints one JSON line, then a table.
                With --bpd true it also measures bpd: the negative log-likelihood of the last --bpd-images real
                images of --data under the model (EMA weights), in bits per dimension, with its standard error:
                uniform dequantization, the probability-flow ODE in --bpd-steps Heun steps and one Hutchinson
                trace probe per image, as score_sde; each image costs about 4 x bpdSteps network passes.
                The sampler settings default to the model's; the options below override them for this run.

                The numbers are comparable only within one feature network and one sample count: the Fréchet
                distance of N samples is biased upwards by roughly a constant / N, and another feature network
                measures in another space.

                Examples:
                  ./submit.sh evaluate --model runs/fashion-mnist/model --features runs/features-fashion-mnist/model
                  ./submit.sh evaluate --model runs/fashion-mnist/model --features runs/features-fashion-mnist/model \\
                      --num 2000 --guidance-weight 2 --num-steps 32
                  ./submit.sh evaluate --model runs/quick/model --features runs/features-fashion-mnist/model \\
                      --bpd true --bpd-images 64

                Options (key, type, default, meaning):
                """ + schema(new DiffusionModel("flags")).referenceText();
    }

    static ConfigSchema schema(DiffusionModel flags) {
        return new ConfigSchema(KEYS, List.of(flags), SampleCommand.fixedParams(flags));
    }

    @Override
    public int run(Args args) throws IOException {
        if (!args.positional().isEmpty()) {
            throw new UsageException("evaluate takes only options, got " + args.positional() + " (see --help)");
        }
        args.required("model", name());
        args.required("features", name());
        DiffusionModel flags = new DiffusionModel("flags");
        Map<String, Object> values = SampleCommand.bindSamplerOptions(schema(flags), flags, args);
        String modelPath = (String) values.get("model");
        String featuresPath = (String) values.get("features");
        requireClass(modelPath, DiffusionModel.class, "--model");
        requireClass(featuresPath, FeatureNetworkModel.class, "--features");
        SparkSession spark = Sessions.start("spark-diffusion evaluate " + modelPath);
        try {
            Configuration hadoop = spark.sparkContext().hadoopConfiguration();
            DiffusionModel model = DiffusionModel.load(HadoopPaths.resolve(modelPath, hadoop).toString());
            SampleCommand.applyOverrides(flags, model);
            FeatureNetworkModel features = FeatureNetworkModel.load(HadoopPaths.resolve(featuresPath, hadoop).toString());
            if (features.getImageSize() != model.getImageSize() || features.getImageChannels() != model.getImageChannels()) {
                throw new UsageException("the feature network reads " + features.getImageChannels() + "x"
                        + features.getImageSize() + "x" + features.getImageSize() + " images, the model makes "
                        + model.getImageChannels() + "x" + model.getImageSize() + "x" + model.getImageSize());
            }
            if (model.getNumClasses() > features.getNumClasses()) {
                throw new UsageException("the model has " + model.getNumClasses() + " classes, the feature network"
                        + " only " + features.getNumClasses() + ": train the feature network on the same classes");
            }
            QualityReport report = evaluate(spark, model, features, values);
            BitsPerDim bpd = (Boolean) values.get("bpd") ? bitsPerDim(spark, model, values) : null;
            System.out.println(bpd == null ? report.toJson() : report.toJson().substring(0, report.toJson().length() - 1)
                    + ", " + bpd.toJson().substring(1));
            System.out.print(report.toTable());
            if (bpd != null) {
                System.out.print(bpd.toTable());
            }
        } finally {
            spark.stop();
        }
        return 0;
    }

    private static QualityReport evaluate(SparkSession spark, DiffusionModel model, FeatureNetworkModel features,
                                          Map<String, Object> values) {
        int num = (Integer) values.get("num");
        long seed = (Long) values.get("seed");
        int classes = model.getNumClasses();
        int partitions = Math.max(1, Math.min(num, spark.sparkContext().defaultParallelism()));
        model.setLabelCol(classes > 0 ? SampleCommand.LABEL : "");
        System.out.printf(Locale.ROOT, "sampling %,d images (seeds %d..%d, %s, guidance %.3g) and scoring"
                        + " them against %,d reference images%n", num, seed, seed + num - 1,
                model.samplerSettings().describe(), model.getGuidanceWeight(), features.referenceMoments().count());
        long t0 = System.nanoTime();
        Dataset<Row> samples = model.transform(SampleCommand.seeds(spark, seed, num, classes, -1, partitions))
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            DiffusionEvaluator evaluator = new DiffusionEvaluator().setFeatureModel(features)
                    .setInputCol(model.getOutputCol()).setLabelCol(classes > 0 ? SampleCommand.LABEL : "")
                    .setKeyCol(SampleCommand.SEED).setNumNeighbors((Integer) values.get("numNeighbors"))
                    .setPrecisionRecallSamples((Integer) values.get("precisionRecallSamples"));
            QualityReport report = evaluator.report(samples);
            System.out.printf(Locale.ROOT, "evaluated in %s%n", Progress.duration(System.nanoTime() - t0));
            return report;
        } finally {
            samples.unpersist();
        }
    }

    /**
     * The model's bpd on the last {@code bpdImages} images of {@code data}, each under its label for a
     * class-conditional model, seeded by its index in the data.
     */
    private static BitsPerDim bitsPerDim(SparkSession spark, DiffusionModel model, Map<String, Object> values)
            throws IOException {
        int n = (Integer) values.get("bpdImages");
        int steps = (Integer) values.get("bpdSteps");
        int partitions = Math.max(1, Math.min(n, spark.sparkContext().defaultParallelism()));
        TrainSettings where = new TrainSettings((String) values.get("data"),
                DataFormat.fromKey((String) values.get("dataFormat")), 0, "-", false, 1, 1, partitions);
        ImageTensorizer tensorizer = new ImageTensorizer().setImageSize(model.getImageSize())
                .setImageChannels(model.getImageChannels());
        TrainingData.Loaded data = TrainingData.load(spark, where, spark.sparkContext().hadoopConfiguration(),
                tensorizer, partitions);
        Dataset<Row> tensors = tensorizer.transform(data.frame()).select(tensorizer.getOutputCol(), TrainingData.LABEL);
        long total = tensors.count();
        if (total < n) {
            throw new UsageException("--bpd-images " + n + " but data " + values.get("data") + " holds only " + total
                    + " images");
        }
        long first = total - n;
        StructType schema = tensors.schema().add(SampleCommand.SEED, DataTypes.LongType, false);
        JavaRDD<Row> last = tensors.javaRDD().zipWithIndex().filter(t -> t._2() >= first)
                .map(t -> RowFactory.create(t._1().get(0), t._1().get(1), t._2()));
        Dataset<Row> images = spark.createDataFrame(last, schema).repartition(partitions).cache();
        System.out.printf(Locale.ROOT, "bpd of images %,d..%,d of %s under the model (%d Heun steps of the "
                + "probability-flow ODE, one Hutchinson probe per image)%n", first, total - 1, values.get("data"), steps);
        long t0 = System.nanoTime();
        try {
            BitsPerDim b = new DiffusionEvaluator().setModel(model).setInputCol(tensorizer.getOutputCol())
                    .setLabelCol(model.getNumClasses() > 0 ? TrainingData.LABEL : "").setKeyCol(SampleCommand.SEED)
                    .setBpdSteps(steps).bitsPerDim(images);
            System.out.printf(Locale.ROOT, "bpd in %s%n", Progress.duration(System.nanoTime() - t0));
            return b;
        } finally {
            images.unpersist();
        }
    }

    private static void requireClass(String path, Class<?> expected, String flag) throws IOException {
        ObjectNode metadata = InfoCommand.readMetadata(path, new Configuration());
        String cls = metadata.path("class").asText();
        if (!cls.equals(expected.getName())) {
            throw new UsageException(flag + " " + path + " is a " + cls + ", not a " + expected.getName());
        }
    }
}
