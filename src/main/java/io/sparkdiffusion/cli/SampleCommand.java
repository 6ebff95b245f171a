package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.spark.DiffusionModel;
import io.sparkdiffusion.spark.JobGroup;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.SerializableConfiguration;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/** {@code sample --model PATH --num N --out URI}: N PNG files named by their seeds, plus a grid. */
public final class SampleCommand implements Command {
    static final String SEED = "seed";
    static final String LABEL = "label";

    static final List<Setting> KEYS = List.of(
            new Setting("model", ValueType.STRING, null, "a model saved by train (its model/ directory)",
                    v -> !((String) v).isBlank(), "a path"),
            new Setting("num", ValueType.INTEGER, null, "number of images", v -> (Integer) v >= 1, "an integer >= 1"),
            new Setting("out", ValueType.STRING, null, "output directory or URI", v -> !((String) v).isBlank(), "a path"),
            new Setting("seed", ValueType.LONG, 0L, "first seed; the images use seed .. seed + num - 1",
                    v -> (Long) v >= 0, "an integer >= 0"),
            new Setting("label", ValueType.INTEGER, -1,
                    "class of every image for a class-conditional model; -1: seed mod numClasses",
                    v -> (Integer) v >= -1, "an integer >= -1"),
            new Setting("gridColumns", ValueType.INTEGER, 10, "images per row of grid.png",
                    v -> (Integer) v >= 1 && (Integer) v <= 64, "an integer in 1..64"));

    @Override
    public String name() {
        return "sample";
    }

    @Override
    public String summary() {
        return "draw N samples from a saved model as PNG files (any Hadoop URI) plus a grid";
    }

    @Override
    public String help() {
        return """
                Usage: ./submit.sh [--master URL] sample --model PATH --num N --out URI [options]

                Draws N images from a saved model as a Spark job and writes sample-<seed>.png (seed zero-padded to
                8 digits) for seeds seed .. seed+N-1, plus grid.png, to URI (a directory: local, hdfs://, s3a://).
                Each image depends only on the model, its seed, its label and the sampler settings, never on the
                partitioning, so rerunning with the same seeds rewrites identical bytes; every file appears whole
                or not at all, even when Spark retries a task. The sampler settings default to the model's (as
                saved by train); the options below override them for this run.

                Examples:
                  ./submit.sh sample --model runs/quick/model --num 20 --out runs/quick/samples
                  ./submit.sh sample --model runs/fashion-mnist/model --num 100 --seed 1000 --out /tmp/fm-samples
                  ./submit.sh sample --model runs/quick/model --num 8 --label 7 --sampler euler --num-steps 30 \\
                      --out /tmp/sneakers
                  ./submit.sh --master yarn sample --model hdfs:///runs/fm/model --num 10000 \\
                      --out s3a://bucket/fm-samples

                Options (key, type, default, meaning):
                """ + schema(new DiffusionModel("flags")).referenceText();
    }

    /** The sample command's own options plus the sampler Params of {@code flags} (not the network's). */
    public static ConfigSchema schema(DiffusionModel flags) {
        return new ConfigSchema(KEYS, List.of(flags), fixedParams(flags));
    }

    /** The Params of {@code flags} that are not command-line keys: column names and the network's. */
    static Set<String> fixedParams(DiffusionModel flags) {
        Set<String> fixed = new HashSet<>(TrainStages.MANAGED);
        for (Param<?> p : flags.params()) {
            if (flags.isNetworkParam(p)) {
                fixed.add(p.name()); // the network a model was trained with cannot change
            }
        }
        return fixed;
    }

    @Override
    public int run(Args args) throws IOException {
        if (!args.positional().isEmpty()) {
            throw new UsageException("sample takes only options, got " + args.positional() + " (see --help)");
        }
        for (String required : List.of("model", "num", "out")) {
            args.required(required, name());
        }
        DiffusionModel flags = new DiffusionModel("flags");
        Map<String, Object> values = bindSamplerOptions(schema(flags), flags, args);
        String modelPath = (String) values.get("model");
        ObjectNode metadata = InfoCommand.readMetadata(modelPath, ClusterSettings.hadoopConfiguration());
        String cls = metadata.path("class").asText();
        if (!cls.equals(DiffusionModel.class.getName())) {
            throw new UsageException("model " + modelPath + " is a " + cls + ", not a " + DiffusionModel.class.getName());
        }
        checkLabel((Integer) values.get("label"), numClasses(metadata));
        SparkSession spark = Sessions.start("spark-diffusion sample " + modelPath);
        try {
            DiffusionModel model = DiffusionModel.load(HadoopPaths.resolve(modelPath,
                    spark.sparkContext().hadoopConfiguration()).toString());
            applyOverrides(flags, model);
            sample(spark, model, (Integer) values.get("num"), (Long) values.get("seed"), (Integer) values.get("label"),
                    (String) values.get("out"), (Integer) values.get("gridColumns"));
        } finally {
            spark.stop();
        }
        return 0;
    }

    /**
     * Binds the command line's options against {@code schema}, whose stage is {@code flags} (the sampler options
     * land on it), and checks the sampler settings they make; returns the command's own option values.
     */
    static Map<String, Object> bindSamplerOptions(ConfigSchema schema, DiffusionModel flags, Args args) {
        Map<String, Object> values = schema.bind(JsonNodeFactory.instance.objectNode(), "command line", args.options());
        try {
            flags.samplerSettings();
        } catch (IllegalArgumentException e) {
            throw new UsageException("sampler settings: " + e.getMessage(), e);
        }
        return values;
    }

    /** Copies every Param set on {@code flags} (the command line's sampler settings) onto {@code model}. */
    static void applyOverrides(DiffusionModel flags, DiffusionModel model) {
        for (Param<?> p : flags.params()) {
            if (flags.isSet(p)) {
                StageParams.set(model, model.getParam(p.name()), flags.getOrDefault(p));
            }
        }
    }

    /** The model's numClasses from its saved metadata (set value, else default). */
    static int numClasses(ObjectNode metadata) {
        JsonNode set = metadata.path("paramMap").path("numClasses");
        return set.isMissingNode() ? metadata.path("defaultParamMap").path("numClasses").asInt(0) : set.asInt();
    }

    static void checkLabel(int label, int classes) {
        if (label >= 0 && classes == 0) {
            throw new UsageException("--label is for class-conditional models; this model is unconditional (numClasses 0)");
        }
        if (label >= classes) {
            throw new UsageException("--label " + label + " is not a class of this model: expected 0.." + (classes - 1));
        }
    }

    private static void sample(SparkSession spark, DiffusionModel model, int num, long firstSeed, int label,
                               String out, int gridColumns) throws IOException {
        int classes = model.getNumClasses();
        int partitions = Math.max(1, Math.min(num, ClusterSettings.defaultPartitions(spark.sparkContext())));
        model.setLabelCol(classes > 0 ? LABEL : "");
        Dataset<Row> samples = model.transform(seeds(spark, firstSeed, num, classes, label, partitions))
                .select(SEED, LABEL, model.getOutputCol()).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            HadoopPath dir = HadoopPaths.resolve(out, spark.sparkContext().hadoopConfiguration());
            System.out.printf(Locale.ROOT, "sampling %,d images (seeds %d..%d, %s) into %s%n", num, firstSeed,
                    firstSeed + num - 1, model.samplerSettings().describe(), dir);
            int perGrid = Math.min(num, gridColumns * (classes > 0 && label < 0 ? classes : gridColumns));
            List<Row> first;
            try (JobGroup group = JobGroup.open(spark.sparkContext(), model.uid(),
                    String.format(Locale.ROOT, "DiffusionModel %s: sampling %,d images", model.uid(), num))) {
                SampleFiles.writeAll(samples, SEED, model.getOutputCol(), TrainCommand.imageShape(model),
                        dir.toString(), new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
                group.describe(String.format(Locale.ROOT, "DiffusionModel %s: grid of %,d images", model.uid(), perGrid));
                first = samples.orderBy(SEED).limit(perGrid).collectAsList();
            }
            SampleFiles.writeFile(dir, "grid.png", SampleFiles.grid(first, TrainCommand.imageShape(model),
                    label < 0 ? classes : 0, gridColumns));
            System.out.printf(Locale.ROOT, "wrote %s .. %s and grid.png (%d images) to %s%n",
                    SampleFiles.fileName(firstSeed), SampleFiles.fileName(firstSeed + num - 1), perGrid, dir);
        } finally {
            samples.unpersist();
            model.destroyWeightBroadcasts();
        }
    }

    /**
     * Rows {@code seed} (long) and {@code label} (int): seeds {@code first .. first + n - 1}; the label is
     * {@code fixedLabel}, or when it is -1 {@code seed mod numClasses}, or null for an unconditional model.
     */
    static Dataset<Row> seeds(SparkSession spark, long first, int n, int numClasses, int fixedLabel, int partitions) {
        Column label = numClasses == 0 ? lit(null)
                : fixedLabel >= 0 ? lit(fixedLabel) : col("id").mod(numClasses);
        return spark.range(first, first + n, 1, partitions)
                .select(col("id").as(SEED), label.cast(DataTypes.IntegerType).as(LABEL));
    }
}
