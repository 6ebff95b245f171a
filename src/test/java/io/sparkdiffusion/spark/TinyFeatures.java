package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.classifier.ThreeShapes;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@link ThreeShapes} as DataFrames, and one tiny feature network fitted on them, shared by the Spark tests. */
final class TinyFeatures {
    static final StructType SCHEMA = new StructType()
            .add("image", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("label", DataTypes.IntegerType, false)
            .add("seed", DataTypes.LongType, false);
    private static FeatureNetworkModel model;

    private TinyFeatures() {
    }

    /** Rows (image, label, seed = firstSeed + i) of n ThreeShapes images, in 2 partitions. */
    static Dataset<Row> frame(int n, long seed, double noise, long firstSeed, int... classOf) {
        return frame(ThreeShapes.images(n, seed, noise, classOf), ThreeShapes.labels(n, classOf), firstSeed);
    }

    /** Rows (image, label, seed) of the given images; {@code labels[i]} is "the class image i was drawn for". */
    static Dataset<Row> frame(float[] images, int[] labels, long firstSeed) {
        List<Row> rows = new ArrayList<>();
        int p = ThreeShapes.PIXELS;
        for (int i = 0; i < labels.length; i++) {
            rows.add(RowFactory.create(Arrays.copyOfRange(images, i * p, (i + 1) * p), labels[i], firstSeed + i));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestBase.spark().sparkContext());
        return SparkTestBase.spark().createDataFrame(jsc.parallelize(rows, 2), SCHEMA);
    }

    /** A FeatureNetwork for 1x8x8 images: 4 channels, 6 features, 3 classes. */
    static FeatureNetwork estimator() {
        return new FeatureNetwork().setImageSize(ThreeShapes.SIZE).setNumClasses(ThreeShapes.CLASSES).setChannels(4)
                .setFeatureDim(6).setBatchSize(16).setLocalSteps(10).setNumImages(4800).setLearningRate(3e-3)
                .setNumReferenceFeatures(200);
    }

    /** The estimator fitted once on 300 training images (seed 5, noise 0.3). */
    static synchronized FeatureNetworkModel model() {
        if (model == null) {
            model = estimator().fit(frame(300, 5, 0.3, 0, 0, 1, 2));
        }
        return model;
    }
}
