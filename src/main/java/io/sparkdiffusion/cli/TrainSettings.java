package io.sparkdiffusion.cli;

import java.util.List;
import java.util.Map;

/**
 * The command line's own keys of a training config (the rest are the stages' Spark Params).
 *
 * @param data        the training data: a directory or Hadoop URI
 * @param dataFormat  how it is stored
 * @param maxImages   train on the first this many images; 0 means all
 * @param output      the run's output directory or Hadoop URI
 * @param overwrite   whether an existing output directory may be replaced
 * @param gridColumns samples per row of {@code samples.png} (per class for a class-conditional model)
 * @param gridRows    rows of {@code samples.png} for an unconditional model
 * @param numPartitions partitions of the training data (one shard, one task per round each); 0 means Spark's
 *                    default parallelism (the number of cores in an embedded run)
 */
public record TrainSettings(String data, DataFormat dataFormat, int maxImages, String output, boolean overwrite,
                            int gridColumns, int gridRows, int numPartitions) {

    /** The keys, their types, defaults and meaning. */
    public static final List<Setting> KEYS = List.of(
            new Setting("data", ValueType.STRING, null,
                    "training data: a directory or URI (file://, hdfs://, s3a://)", v -> !((String) v).isBlank(), "a path"),
            new Setting("dataFormat", ValueType.STRING, "idx",
                    "how data is stored: idx (MNIST IDX files, gzipped or not), images (a folder of PNG / JPEG "
                            + "files, one subfolder per class), binaryFile (the same as images), parquet (a table with "
                            + "a column 'image': image struct, PNG / JPEG bytes or array<float> CHW in [-1, 1]; and "
                            + "optionally an integer column 'label')",
                    v -> DataFormat.isKey((String) v), "one of " + DataFormat.allowed()),
            new Setting("maxImages", ValueType.INTEGER, 0, "train on the first maxImages images; 0 means all",
                    v -> (Integer) v >= 0, "an integer >= 0"),
            new Setting("output", ValueType.STRING, null,
                    "output directory or URI: model/, metrics.jsonl, loss.png, samples.png (and quality.png when evaluating)",
                    v -> !((String) v).isBlank(), "a path"),
            Setting.of("overwrite", ValueType.BOOLEAN, false, "replace a model already saved in output/model"),
            new Setting("gridColumns", ValueType.INTEGER, 8,
                    "samples per row of samples.png (one row per class for a class-conditional model)",
                    v -> (Integer) v >= 1 && (Integer) v <= 64, "an integer in 1..64"),
            new Setting("gridRows", ValueType.INTEGER, 4, "rows of samples.png for an unconditional model",
                    v -> (Integer) v >= 1 && (Integer) v <= 64, "an integer in 1..64"),
            new Setting("numPartitions", ValueType.INTEGER, 0,
                    "partitions of the training data, each one shard trained by one task per round; 0: Spark's "
                            + "default parallelism (the cores of an embedded run)",
                    v -> (Integer) v >= 0, "an integer >= 0"));

    /** The settings out of {@link ConfigSchema#bind}'s result (already type-checked and validated). */
    public static TrainSettings from(Map<String, Object> values) {
        return new TrainSettings((String) values.get("data"), DataFormat.fromKey((String) values.get("dataFormat")),
                (Integer) values.get("maxImages"), (String) values.get("output"), (Boolean) values.get("overwrite"),
                (Integer) values.get("gridColumns"), (Integer) values.get("gridRows"),
                (Integer) values.get("numPartitions"));
    }
}
