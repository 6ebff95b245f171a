package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.Shard;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small image DataFrames with a known partitioning, and the shards their partitions hold. */
final class TinyData {
    static final StructType SCHEMA = new StructType()
            .add("tensor", DataTypes.createArrayType(DataTypes.FloatType, false))
            .add("label", DataTypes.IntegerType);

    private TinyData() {
    }

    /** {@code n} random 1 x size x size images in [-1, 1] with labels {@code i % classes}, in contiguous partitions. */
    static Dataset<Row> frame(int n, int size, int classes, int partitions, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] img = new float[size * size];
            for (int j = 0; j < img.length; j++) {
                img[j] = (float) (2 * r.nextDouble() - 1);
            }
            rows.add(RowFactory.create(img, i % classes));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestBase.spark().sparkContext());
        return SparkTestBase.spark().createDataFrame(jsc.parallelize(rows, partitions), SCHEMA);
    }

    /** The shard each partition of {@code df} holds, read back through Spark. */
    static List<Shard> shards(Dataset<Row> df, int imageSize, boolean labelled) {
        List<Shard> out = new ArrayList<>();
        for (List<Row> part : df.javaRDD().glom().collect()) {
            float[] images = new float[part.size() * imageSize];
            int[] labels = labelled ? new int[part.size()] : null;
            for (int i = 0; i < part.size(); i++) {
                List<Float> img = part.get(i).getList(0);
                for (int j = 0; j < imageSize; j++) {
                    images[i * imageSize + j] = img.get(j);
                }
                if (labelled) {
                    labels[i] = part.get(i).getInt(1);
                }
            }
            out.add(new Shard(images, labels, imageSize));
        }
        return out;
    }
}
