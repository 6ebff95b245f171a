package io.sparkdiffusion.cli;

import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.io.Idx;
import io.sparkdiffusion.io.IdxArray;
import io.sparkdiffusion.spark.ImageTensorizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
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
     * @param classNames the name of each label (for folders: the subfolder names, sorted; empty for a parquet table
     *                   without a label column)
     * @param count      the number of rows, known without a pass over the data
     */
    record Loaded(Dataset<Row> frame, List<String> classNames, long count) {
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
            case IMAGES, BINARY_FILE -> ImageFolderData.load(spark, settings, hadoop, tensorizer, partitions);
            case PARQUET -> ParquetData.load(spark, settings, tensorizer, partitions);
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
     * IDX files: the driver reads the image file's header and the labels (one byte per image), each task reads
     * only its own contiguous slice of images and labels ({@link Idx#readSlice}), so no image travels inside a
     * task, no task reads another's images, and the shards do not depend on the cluster. Pixels are the raw 0..255
     * values; the tensorizer maps them to [-1, 1].
     */
    private static Loaded idx(SparkSession spark, TrainSettings settings, Configuration hadoop,
                              ImageTensorizer tensorizer, int partitions) throws IOException {
        HadoopPath dir = HadoopPaths.resolve(settings.data(), hadoop);
        String imagesUri = find(dir, IDX_IMAGES).toString();
        String labelsUri = find(dir, IDX_LABELS).toString();
        int[] dims;
        try (InputStream in = HadoopPaths.resolve(imagesUri, hadoop).open()) {
            dims = Idx.readDims(in, imagesUri);
        }
        IdxArray labels;
        try (InputStream in = HadoopPaths.resolve(labelsUri, hadoop).open()) {
            labels = Idx.read(in, labelsUri);
        }
        if (dims.length != 3 || labels.dims().length != 1 || dims[0] != labels.count()) {
            throw new UsageException("data " + settings.data() + ": expected images [N, H, W] and labels [N], got "
                    + imagesUri + " " + Arrays.toString(dims) + " and " + labelsUri + " " + Arrays.toString(labels.dims()));
        }
        int n = settings.maxImages() > 0 ? Math.min(settings.maxImages(), dims[0]) : dims[0];
        int height = dims[1];
        int width = dims[2];
        SerializableConfiguration conf = new SerializableConfiguration(hadoop);
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(IntStream.range(0, partitions).boxed().toList(), partitions)
                .flatMap(p -> {
                    int from = sliceStart(p, n, partitions);
                    int to = sliceStart(p + 1, n, partitions);
                    if (from == to) {
                        return java.util.Collections.emptyIterator();
                    }
                    return slice(readSlice(imagesUri, from, to, conf.value()), readSlice(labelsUri, from, to,
                            conf.value()));
                });
        StructType schema = new StructType()
                .add(PIXELS, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add(LABEL, DataTypes.IntegerType, false);
        tensorizer.setInputCol(PIXELS).setInputShape(new int[]{1, height, width}).setInputMin(0).setInputMax(255);
        List<String> names = new ArrayList<>();
        for (int k = 0; k <= Arrays.stream(labels.head(n).labels()).max().orElse(0); k++) {
            names.add(String.valueOf(k));
        }
        return new Loaded(spark.createDataFrame(rows, schema), names, n);
    }

    /**
     * The first row of partition {@code p} of {@code n} rows in {@code partitions} contiguous slices:
     * {@code floor(p * n / partitions)}; slice {@code p} is {@code [sliceStart(p), sliceStart(p + 1))}.
     */
    static int sliceStart(int p, long n, int partitions) {
        return (int) (p * n / partitions);
    }

    private static IdxArray readSlice(String uri, int from, int to, Configuration hadoop) throws IOException {
        try (InputStream in = HadoopPaths.resolve(uri, hadoop).open()) {
            return Idx.readSlice(in, uri, from, to);
        }
    }

    /** Rows {@code (pixels, label)} of a slice of images and its labels. */
    private static Iterator<Row> slice(IdxArray images, IdxArray labels) {
        int pixels = images.itemSize();
        byte[] bytes = images.data();
        List<Row> rows = new ArrayList<>(images.count());
        for (int i = 0; i < images.count(); i++) {
            float[] values = new float[pixels];
            for (int k = 0; k < pixels; k++) {
                values[k] = bytes[i * pixels + k] & 0xFF;
            }
            rows.add(RowFactory.create(values, labels.label(i)));
        }
        return rows.iterator();
    }

}
