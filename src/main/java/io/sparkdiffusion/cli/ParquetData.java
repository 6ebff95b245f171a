package io.sparkdiffusion.cli;

import io.sparkdiffusion.spark.ImageTensorizer;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.ml.image.ImageSchema;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.max;

/**
 * {@code dataFormat: parquet}: a table (a directory of Parquet files, as a lakehouse keeps it) whose column
 * {@code image} holds the images, as a Spark image struct, PNG / JPEG bytes ({@code binary}) or a CHW
 * {@code array<float>} / {@code array<double>} in [-1, 1] of {@code imageChannels x imageSize x imageSize}, and
 * whose optional integer column {@code label} holds class labels in [0, numClasses).
 *
 * <p>Rows are in table order: files sorted by path, rows in file order ({@code _metadata.row_index}), and are cut
 * into contiguous slices, one per partition, as an image folder's sorted files are ({@link ImageFolderData}), so
 * the same images as a folder or as a table train the same weights. One pass over the metadata columns only (row
 * counts per file, the largest label) fixes the order; then the rows move once, to their slice, and are decoded
 * once, when the trainer builds its shards.
 */
final class ParquetData {
    static final String IMAGE = "image";
    private static final String FILE = "_metadata.file_path";
    private static final String ROW = "_metadata.row_index";

    private ParquetData() {
    }

    static TrainingData.Loaded load(SparkSession spark, TrainSettings settings, ImageTensorizer tensorizer,
                                    int partitions) {
        Dataset<Row> table = spark.read().parquet(settings.data());
        StructType schema = table.schema();
        DataType imageType = imageType(schema, settings.data());
        boolean labelled = Arrays.asList(schema.fieldNames()).contains(TrainingData.LABEL);
        if (labelled && !isInteger(schema.apply(TrainingData.LABEL).dataType())) {
            throw new UsageException("data " + settings.data() + ": column 'label' is "
                    + schema.apply(TrainingData.LABEL).dataType().simpleString()
                    + ", expected an integer type (int, long, short, byte)");
        }
        // Row counts per file and the largest label, from the metadata and label columns only.
        List<Column> aggregates = new ArrayList<>(List.of(count(org.apache.spark.sql.functions.lit(1)).as("rows")));
        if (labelled) {
            aggregates.add(max(col(TrainingData.LABEL)).as("maxLabel"));
        }
        List<Row> perFile = table.select(col(FILE).as("file"), labelled ? col(TrainingData.LABEL)
                        : org.apache.spark.sql.functions.lit(0).as(TrainingData.LABEL))
                .groupBy("file").agg(aggregates.get(0), aggregates.subList(1, aggregates.size()).toArray(Column[]::new))
                .collectAsList();
        TreeMap<String, Long> rowsOf = new TreeMap<>();
        long maxLabel = -1;
        for (Row r : perFile) {
            rowsOf.put(r.getString(0), r.getLong(1));
            if (labelled && !r.isNullAt(2)) {
                maxLabel = Math.max(maxLabel, ((Number) r.get(2)).longValue());
            }
        }
        Map<String, Long> offsetOf = new TreeMap<>();
        long total = 0;
        for (Map.Entry<String, Long> e : rowsOf.entrySet()) {
            offsetOf.put(e.getKey(), total);
            total += e.getValue();
        }
        if (total == 0) {
            throw new UsageException("data " + settings.data() + " holds no rows (dataFormat parquet)");
        }
        long n = settings.maxImages() > 0 ? Math.min(settings.maxImages(), total) : total;
        Map<String, Long> offsets = Map.copyOf(offsetOf);

        Dataset<Row> selected = table.select(col(FILE), col(ROW), col(IMAGE),
                labelled ? col(TrainingData.LABEL).cast(DataTypes.IntegerType)
                        : org.apache.spark.sql.functions.lit(0).as(TrainingData.LABEL));
        JavaPairRDD<Long, Row> keyed = selected.javaRDD()
                .mapToPair(r -> new Tuple2<>(offsets.get(r.getString(0)) + r.getLong(1),
                        RowFactory.create(r.getString(0) + "#" + r.getLong(1), r.get(2), r.isNullAt(3) ? null : r.get(3))))
                .filter(t -> t._1() < n);
        JavaPairRDD<Long, Row> placed = keyed.repartitionAndSortWithinPartitions(new SlicePartitioner(n, partitions));
        StructType out = new StructType()
                .add(ImageFolderData.PATH, DataTypes.StringType, false)
                .add(IMAGE, imageType, true)
                .add(TrainingData.LABEL, DataTypes.IntegerType, true);
        tensorizer.setInputCol(IMAGE);
        if (imageType instanceof ArrayType) {
            tensorizer.setInputShape(new int[]{tensorizer.getImageChannels(), tensorizer.getImageSize(),
                    tensorizer.getImageSize()}).setInputMin(-1).setInputMax(1);
        }
        List<String> names = new ArrayList<>();
        for (long k = 0; k <= maxLabel; k++) {
            names.add(String.valueOf(k));
        }
        return new TrainingData.Loaded(spark.createDataFrame(placed.values(), out), names, n);
    }

    /** The type of the {@code image} column, checked: an image struct, binary, or an array of floats or doubles. */
    private static DataType imageType(StructType schema, String data) {
        StructField field = Arrays.stream(schema.fields()).filter(f -> f.name().equals(IMAGE)).findFirst()
                .orElseThrow(() -> new UsageException("data " + data + " (dataFormat parquet) has no column 'image'; "
                        + "its columns are " + schema.simpleString() + ". Expected 'image': an image struct, binary "
                        + "PNG/JPEG bytes or array<float> CHW in [-1, 1] (and optionally an integer 'label')"));
        DataType t = field.dataType();
        boolean struct = t instanceof StructType s && s.equals(ImageSchema.columnSchema());
        boolean array = t instanceof ArrayType a && (a.elementType().equals(DataTypes.FloatType)
                || a.elementType().equals(DataTypes.DoubleType));
        if (!struct && !(t instanceof BinaryType) && !array) {
            throw new UsageException("data " + data + ": column 'image' is " + t.simpleString() + ", expected an image "
                    + "struct (Spark's image source schema), binary (PNG/JPEG bytes) or array<float> / array<double>");
        }
        return t;
    }

    private static boolean isInteger(DataType t) {
        return t instanceof IntegerType || t instanceof LongType || t instanceof ShortType || t instanceof ByteType;
    }

    /** Row {@code g} of {@code n} goes to the partition whose contiguous slice holds it ({@link TrainingData#sliceStart}). */
    static final class SlicePartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final long n;
        private final int partitions;

        SlicePartitioner(long n, int partitions) {
            this.n = n;
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        /** The largest p with floor(p n / P) <= g: floor(((g + 1) P - 1) / n). */
        @Override
        public int getPartition(Object key) {
            long g = (Long) key;
            return (int) (((g + 1) * partitions - 1) / n);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SlicePartitioner s && s.n == n && s.partitions == partitions;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(n) * 31 + partitions;
        }
    }
}
