package io.sparkdiffusion.cli;

import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.io.Idx;
import io.sparkdiffusion.io.LabeledImages;
import io.sparkdiffusion.spark.ImageTensorizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_position;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.split;

/**
 * The training data of a config as a DataFrame with an input column the {@link ImageTensorizer} reads and an
 * integer {@code label} column, in a fixed order (so {@code maxImages} always picks the same images).
 */
final class TrainingData {
    static final String LABEL = "label";
    static final String PIXELS = "pixels";
    static final String[] IDX_IMAGES = {"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"};
    static final String[] IDX_LABELS = {"train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"};

    /**
     * @param frame      the rows: the tensorizer's input column and {@link #LABEL}
     * @param classNames the name of each label (for folders: the subfolder names, sorted)
     */
    record Loaded(Dataset<Row> frame, List<String> classNames) {
    }

    private TrainingData() {
    }

    /**
     * Loads the data in {@code partitions} partitions (each one training shard) and points {@code tensorizer}'s
     * input settings at it.
     */
    static Loaded load(SparkSession spark, TrainSettings settings, Configuration hadoop, ImageTensorizer tensorizer,
                       int partitions) throws IOException {
        return switch (settings.dataFormat()) {
            case IDX -> idx(spark, settings, hadoop, tensorizer, partitions);
            case IMAGES -> folders(spark, settings, tensorizer, "image", "image", col("image.origin"), partitions);
            case BINARY_FILE -> folders(spark, settings, tensorizer, "binaryFile", "content", col("path"), partitions);
        };
    }

    /** The first of {@code names} that exists in {@code dir}. */
    static HadoopPath find(HadoopPath dir, String[] names) throws IOException {
        for (String name : names) {
            HadoopPath p = dir.child(name);
            if (p.exists()) {
                return p;
            }
        }
        throw new UsageException("data " + dir + " has none of " + Arrays.toString(names)
                + " (dataFormat idx expects the MNIST file names)");
    }

    /**
     * IDX files are checked on the driver (header, sizes, labels), then each task reads them again itself and keeps
     * its contiguous slice of images, so no image travels inside a task and the shards do not depend on the
     * cluster. Pixels are the raw 0..255 values; the tensorizer maps them to [-1, 1].
     */
    private static Loaded idx(SparkSession spark, TrainSettings settings, Configuration hadoop,
                              ImageTensorizer tensorizer, int partitions) throws IOException {
        HadoopPath dir = HadoopPaths.resolve(settings.data(), hadoop);
        String imagesUri = find(dir, IDX_IMAGES).toString();
        String labelsUri = find(dir, IDX_LABELS).toString();
        LabeledImages data = readIdx(imagesUri, labelsUri, settings.maxImages(), hadoop);
        int n = data.count();
        int height = data.height();
        int width = data.width();
        int maxImages = settings.maxImages();
        SerializableConfiguration conf = new SerializableConfiguration(hadoop);
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(IntStream.range(0, partitions).boxed().toList(), partitions)
                .flatMap(p -> {
                    LabeledImages all = readIdx(imagesUri, labelsUri, maxImages, conf.value());
                    return slice(all, (int) ((long) p * n / partitions), (int) ((long) (p + 1) * n / partitions));
                });
        StructType schema = new StructType()
                .add(PIXELS, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add(LABEL, DataTypes.IntegerType, false);
        tensorizer.setInputCol(PIXELS).setInputShape(new int[]{1, height, width}).setInputMin(0).setInputMax(255);
        List<String> names = new ArrayList<>();
        for (int k = 0; k <= Arrays.stream(data.labels().labels()).max().orElse(0); k++) {
            names.add(String.valueOf(k));
        }
        return new Loaded(spark.createDataFrame(rows, schema), names);
    }

    private static LabeledImages readIdx(String imagesUri, String labelsUri, int maxImages, Configuration hadoop)
            throws IOException {
        HadoopPath imagesPath = HadoopPaths.resolve(imagesUri, hadoop);
        HadoopPath labelsPath = HadoopPaths.resolve(labelsUri, hadoop);
        LabeledImages data;
        try (InputStream images = imagesPath.open(); InputStream labels = labelsPath.open()) {
            data = Idx.readLabeled(images, imagesUri, labels, labelsUri);
        }
        return maxImages > 0 ? data.head(maxImages) : data;
    }

    /** Rows {@code (pixels, label)} of images {@code [from, to)}. */
    private static Iterator<Row> slice(LabeledImages data, int from, int to) {
        int pixels = data.height() * data.width();
        byte[] bytes = data.images().data();
        List<Row> rows = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            float[] values = new float[pixels];
            for (int k = 0; k < pixels; k++) {
                values[k] = bytes[i * pixels + k] & 0xFF;
            }
            rows.add(RowFactory.create(values, data.labels().label(i)));
        }
        return rows.iterator();
    }

    /** One subfolder per class; the label is the index of the subfolder's name among all of them, sorted. */
    private static Loaded folders(SparkSession spark, TrainSettings settings, ImageTensorizer tensorizer,
                                  String format, String inputCol, Column path, int partitions) {
        Dataset<Row> files = spark.read().format(format).option("recursiveFileLookup", "true")
                .load(settings.data());
        if (format.equals("image")) {
            files = files.filter(col("image.data").isNotNull());
        }
        Column className = element_at(split(path, "/"), -2);
        files = files.withColumn("className", className).orderBy(path);
        List<String> names = files.select("className").distinct().collectAsList().stream()
                .map(r -> r.getString(0)).sorted().toList();
        if (names.isEmpty()) {
            throw new UsageException("data " + settings.data() + " holds no images (dataFormat " + format + ")");
        }
        Column[] literals = names.stream().map(n -> lit(n)).toArray(Column[]::new);
        Dataset<Row> labelled = files.withColumn(LABEL,
                array_position(array(literals), col("className")).minus(1).cast(DataTypes.IntegerType));
        if (settings.maxImages() > 0) {
            labelled = labelled.limit(settings.maxImages());
        }
        tensorizer.setInputCol(inputCol);
        return new Loaded(labelled.select(inputCol, LABEL).repartition(partitions), names);
    }
}
