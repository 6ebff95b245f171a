package io.sparkdiffusion.cli;

import io.sparkdiffusion.metrics.QualityReport;
import io.sparkdiffusion.spark.DiffusionEvaluator;
import io.sparkdiffusion.spark.FeatureNetworkModel;
import io.sparkdiffusion.spark.ImageTensorizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * The calibration table of docs/quality-metrics.md (a measurement, not a test): the held-out split of a features
 * config (the same data, partitions and randomSplit seed as {@code ./submit.sh features}), scored against the
 * feature network's reference (its training split) as it is, degraded by pixel noise and by blur of increasing
 * strength, with half the classes dropped, and against pure Gaussian-noise images.
 *
 * <pre>
 *   ./probe.sh calibration conf/features-fashion-mnist.json runs/features-fashion-mnist/model
 * </pre>
 */
public final class CalibrationMain {
    private static final StructType SCHEMA = new StructType()
            .add("image", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("label", DataTypes.IntegerType, false)
            .add("seed", DataTypes.LongType, false);

    private CalibrationMain() {
    }

    public static void main(String[] args) throws Exception {
        String config = args[0];
        String features = args[1];
        SparkSession spark = SparkSession.builder().master("local[2]").appName("calibration")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            var estimator = new io.sparkdiffusion.spark.FeatureNetwork();
            ImageTensorizer tensorizer = new ImageTensorizer();
            Map<String, Object> values = FeaturesCommand.schema(estimator, tensorizer)
                    .bind(ConfigFile.read(config), config, Map.of());
            TrainSettings settings = new TrainSettings((String) values.get("data"),
                    DataFormat.fromKey((String) values.get("dataFormat")), (Integer) values.get("maxImages"),
                    (String) values.get("output"), true, 1, 1, (Integer) values.get("numPartitions"));
            int partitions = settings.numPartitions() > 0 ? settings.numPartitions()
                    : spark.sparkContext().defaultParallelism();
            TrainingData.Loaded data = TrainingData.load(spark, settings, new Configuration(), tensorizer, partitions);
            Dataset<Row> tensors = tensorizer.transform(data.frame()).select(tensorizer.getOutputCol(),
                    TrainingData.LABEL);
            double f = (Double) values.get("testFraction");
            Dataset<Row> test = tensors.randomSplit(new double[] {1 - f, f}, estimator.getSeed())[1];
            List<Row> rows = test.collectAsList();
            int side = estimator.getImageSize();
            FeatureNetworkModel model = FeatureNetworkModel.load(features);
            DiffusionEvaluator evaluator = new DiffusionEvaluator().setFeatureModel(model).setInputCol("image");
            System.out.printf(Locale.ROOT, "| images (n = %d, reference: %d training images) | FID | precision |"
                    + " recall | class accuracy |%n|---|---|---|---|---|%n", rows.size(),
                    model.referenceMoments().count());
            score(spark, evaluator, "held-out test images (the floor)", rows, (x, i) -> x, side, false);
            for (double sigma : new double[] {0.1, 0.2, 0.4, 0.8}) {
                score(spark, evaluator, "test images + Gaussian pixel noise, sigma " + sigma, rows,
                        (x, i) -> noisy(x, sigma, i), side, false);
            }
            for (double sigma : new double[] {0.5, 1.0, 1.5, 2.5}) {
                score(spark, evaluator, "test images blurred, Gaussian sigma " + sigma + " px", rows,
                        (x, i) -> blurred(x, side, sigma), side, false);
            }
            score(spark, evaluator, "test images of classes 0-4 only (half the modes dropped)", rows, (x, i) -> x, side,
                    true);
            score(spark, evaluator, "pure Gaussian noise images, N(0, 0.5^2) clipped to [-1, 1] (the ceiling)", rows,
                    (x, i) -> noisy(new float[x.length], 0.5, i), side, false);
        } finally {
            spark.stop();
        }
    }

    private static void score(SparkSession spark, DiffusionEvaluator evaluator, String what, List<Row> rows,
                              BiFunction<float[], Long, float[]> degrade, int side, boolean dropHalf) {
        List<Row> out = new ArrayList<>();
        long seed = 0;
        for (Row r : rows) {
            int label = r.getInt(1);
            if (dropHalf && label >= 5) {
                continue;
            }
            List<Float> list = r.getList(0);
            float[] x = new float[list.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = list.get(i);
            }
            out.add(RowFactory.create(degrade.apply(x, seed), label, seed));
            seed++;
        }
        if (dropHalf) { // as many images as the others, so the sample count is the same
            int n = out.size();
            for (int i = 0; out.size() < rows.size(); i++) {
                Row r = out.get(i % n);
                out.add(RowFactory.create(r.get(0), r.get(1), seed++));
            }
        }
        Dataset<Row> df = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(out, 2), SCHEMA);
        QualityReport q = evaluator.report(df);
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.3f | %.3f | %.3f |%n", what, q.fid(), q.precision(), q.recall(),
                q.classAccuracy());
    }

    /** x + N(0, sigma^2) per pixel, clipped to [-1, 1]; the noise of image i is drawn from seed i. */
    private static float[] noisy(float[] x, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) Math.max(-1, Math.min(1, x[i] + sigma * r.nextGaussian()));
        }
        return y;
    }

    /** Separable Gaussian blur (radius 3 sigma, edges clamped) of a 1 x side x side image. */
    private static float[] blurred(float[] x, int side, double sigma) {
        int radius = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            k[i + radius] = Math.exp(-i * i / (2 * sigma * sigma));
            sum += k[i + radius];
        }
        float[] tmp = new float[x.length];
        float[] y = new float[x.length];
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                double s = 0;
                for (int i = -radius; i <= radius; i++) {
                    s += k[i + radius] * x[r * side + Math.max(0, Math.min(side - 1, c + i))];
                }
                tmp[r * side + c] = (float) (s / sum);
            }
        }
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                double s = 0;
                for (int i = -radius; i <= radius; i++) {
                    s += k[i + radius] * tmp[Math.max(0, Math.min(side - 1, r + i)) * side + c];
                }
                y[r * side + c] = (float) (s / sum);
            }
        }
        return y;
    }
}
