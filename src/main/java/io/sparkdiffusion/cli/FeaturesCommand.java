package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.metrics.ClassTally;
import io.sparkdiffusion.spark.FeatureNetwork;
import io.sparkdiffusion.spark.FeatureNetworkModel;
import io.sparkdiffusion.spark.ImageTensorizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code features CONFIG.json [--key value ...]}: train the feature network of the quality metrics on a labelled
 * dataset, report its accuracy on a held-out split, save it with the reference statistics of the training split.
 */
public final class FeaturesCommand implements Command {
    static final List<Setting> KEYS = List.of(
            new Setting("data", ValueType.STRING, null,
                    "labelled images: a directory or URI (file://, hdfs://, s3a://)", v -> !((String) v).isBlank(),
                    "a path"),
            new Setting("dataFormat", ValueType.STRING, "idx",
                    "how data is stored: idx, images or binaryFile (as for train)", v -> DataFormat.isKey((String) v),
                    "one of " + DataFormat.allowed()),
            new Setting("maxImages", ValueType.INTEGER, 0, "use the first maxImages images; 0 means all",
                    v -> (Integer) v >= 0, "an integer >= 0"),
            new Setting("testFraction", ValueType.NUMBER, 0.1,
                    "fraction of the images held out to measure the classifier's accuracy (not trained on, not in"
                            + " the reference statistics)", v -> (Double) v > 0 && (Double) v < 1,
                    "a number in (0, 1)"),
            new Setting("output", ValueType.STRING, null, "output directory or URI: model/ and accuracy.json",
                    v -> !((String) v).isBlank(), "a path"),
            Setting.of("overwrite", ValueType.BOOLEAN, false, "replace a model already saved in output/model"),
            new Setting("numPartitions", ValueType.INTEGER, 0,
                    "partitions of the data; 0: Spark's default parallelism", v -> (Integer) v >= 0, "an integer >= 0"));

    @Override
    public String name() {
        return "features";
    }

    @Override
    public String summary() {
        return "train the feature network the quality metrics use; reports its held-out accuracy";
    }

    @Override
    public String help() {
        return """
                Usage: ./submit.sh [--master URL] features CONFIG.json [--key value ...]

                Trains the feature network of the quality metrics (a small CNN classifier, trained by this project's
                engine as a Spark job) on labelled images, holds out testFraction of them to report its accuracy,
                and saves it with the reference statistics (feature moments and rows) of the training split into
                output/model, which ./submit.sh evaluate --features reads. Writes output/accuracy.json.

                Examples:
                  ./submit.sh features conf/features-fashion-mnist.json
                  ./submit.sh features conf/features-fashion-mnist.json --num-images 9000 --output runs/try-features

                Config keys (key, type, default, meaning):
                """ + schema(new FeatureNetwork(), new ImageTensorizer()).referenceText();
    }

    static ConfigSchema schema(FeatureNetwork estimator, ImageTensorizer tensorizer) {
        return new ConfigSchema(KEYS, List.of(estimator, tensorizer), TrainStages.MANAGED);
    }

    @Override
    public int run(Args args) throws IOException {
        if (args.positional().size() != 1) {
            throw new UsageException("features needs exactly one config file, got " + args.positional()
                    + " (e.g. ./submit.sh features conf/features-fashion-mnist.json; see --help)");
        }
        String configPath = args.positional().get(0);
        FeatureNetwork estimator = new FeatureNetwork();
        ImageTensorizer tensorizer = new ImageTensorizer();
        ObjectNode json = ConfigFile.read(configPath);
        Map<String, Object> values = schema(estimator, tensorizer).bind(json, configPath, args.options());
        try {
            estimator.featureCnnConfig();
            estimator.trainingConfig();
        } catch (IllegalArgumentException e) {
            throw new UsageException("config: " + e.getMessage(), e);
        }
        TrainSettings settings = new TrainSettings((String) values.get("data"),
                DataFormat.fromKey((String) values.get("dataFormat")), (Integer) values.get("maxImages"),
                (String) values.get("output"), (Boolean) values.get("overwrite"), 1, 1,
                (Integer) values.get("numPartitions"));
        HadoopPath output = TrainCommand.checkPaths(settings, new Configuration());
        SparkSession spark = Sessions.start("spark-diffusion features " + configPath);
        try {
            return train(spark, settings, (Double) values.get("testFraction"), estimator, tensorizer, output);
        } finally {
            spark.stop();
        }
    }

    private static int train(SparkSession spark, TrainSettings settings, double testFraction, FeatureNetwork estimator,
                             ImageTensorizer tensorizer, HadoopPath output) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        int partitions = settings.numPartitions() > 0 ? settings.numPartitions()
                : spark.sparkContext().defaultParallelism();
        TrainingData.Loaded data = TrainingData.load(spark, settings, hadoop, tensorizer, partitions);
        if (data.classNames().size() > estimator.getNumClasses()) {
            throw new UsageException("the data has " + data.classNames().size() + " classes " + data.classNames()
                    + " but numClasses is " + estimator.getNumClasses());
        }
        Dataset<Row> tensors = tensorizer.transform(data.frame()).select(tensorizer.getOutputCol(), TrainingData.LABEL);
        Dataset<Row>[] split = tensors.randomSplit(new double[] {1 - testFraction, testFraction}, estimator.getSeed());
        Dataset<Row> train = split[0].persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> test = split[1];
        try {
            long trainCount = train.count();
            System.out.printf(Locale.ROOT, "training a feature network (%d channels, %d features, %d classes) on %,d"
                            + " images of %s in %d partitions, %,d images in all; %,d held out%n",
                    estimator.getChannels(), estimator.getFeatureDim(), estimator.getNumClasses(), trainCount,
                    settings.data(), partitions, estimator.getNumImages(), test.count());
            estimator.setInputCol(tensorizer.getOutputCol()).setLabelCol(TrainingData.LABEL)
                    .setRoundListener(new Progress(System.out));
            long t0 = System.nanoTime();
            FeatureNetworkModel model = estimator.fit(train);
            ClassTally accuracy = model.accuracy(test, tensorizer.getOutputCol(), TrainingData.LABEL);
            ClassTally trainAccuracy = model.accuracy(train, tensorizer.getOutputCol(), TrainingData.LABEL);
            model.write().overwrite().save(output.child("model").toString());
            String json = accuracyJson(accuracy, trainAccuracy, data.classNames());
            SampleFiles.writeFile(output, "accuracy.json", json.getBytes(StandardCharsets.UTF_8));
            System.out.printf(Locale.ROOT, "test accuracy %.4f on %,d held-out images (training split %.4f)%n",
                    accuracy.accuracy(), accuracy.count(), trainAccuracy.accuracy());
            double[] per = accuracy.perClass();
            for (int k = 0; k < per.length; k++) {
                System.out.printf(Locale.ROOT, "  class %-12s %.4f (%d images)%n",
                        k < data.classNames().size() ? data.classNames().get(k) : Integer.toString(k), per[k],
                        accuracy.count(k));
            }
            System.out.printf(Locale.ROOT, "done in %s; wrote %s/{model/, accuracy.json}%n",
                    Progress.duration(System.nanoTime() - t0), output);
        } finally {
            train.unpersist();
        }
        return 0;
    }

    static String accuracyJson(ClassTally test, ClassTally train, List<String> classNames) {
        List<String> per = new ArrayList<>();
        double[] a = test.perClass();
        for (int k = 0; k < a.length; k++) {
            per.add(String.format(Locale.ROOT, "\"%s\": %.4f", k < classNames.size() ? classNames.get(k) : k, a[k]));
        }
        return String.format(Locale.ROOT, "{\"testAccuracy\": %.4f, \"testImages\": %d, \"trainAccuracy\": %.4f,"
                + " \"trainImages\": %d, \"perClassTestAccuracy\": {%s}}%n", test.accuracy(), test.count(),
                train.accuracy(), train.count(), String.join(", ", per));
    }
}
