package io.sparkdiffusion.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Check 5: on small images of three shapes, a briefly trained model's samples lie much closer to the data
 * (RMS distance to the nearest training image) than unit Gaussian noise does, and than the samples of the
 * same network before training.
 */
class ToyShapesTest extends SparkTestBase {
    private static final int SIZE = 8;
    private static final int NUM_IMAGES = 48;
    private static final int NUM_SAMPLES = 16;
    /** Trained samples must be at least this much closer to the data than either baseline. */
    private static final double REQUIRED_RATIO = 0.6;

    @Test
    void trainedSamplesAreCloserToTheDataThanNoise() {
        float[][] data = Shapes.tensors(NUM_IMAGES, SIZE, 3);
        List<Row> rows = new ArrayList<>();
        for (float[] img : data) {
            rows.add(RowFactory.create(img, 0));
        }
        Dataset<Row> df = spark().createDataFrame(
                JavaSparkContext.fromSparkContext(spark().sparkContext()).parallelize(rows, 2), TinyData.SCHEMA);
        DiffusionTrainer trainer = new DiffusionTrainer().setImageChannels(1).setImageSize(SIZE).setModelChannels(8)
                .setChannelMult(new int[] {1, 2}).setNumResBlocks(1).setBatchSize(16).setLocalSteps(25)
                .setNumRounds(16).setLearningRate(3e-3).setWarmupSteps(20)
                .setEmaHalfLifeImages(2000).setSeed(5);
        long t0 = System.nanoTime();
        DiffusionModel model = trainer.fit(df).setNumSteps(12);
        long t1 = System.nanoTime();
        DiffusionModel untrained = trainer.copy(new org.apache.spark.ml.param.ParamMap()).setNumRounds(1)
                .setLearningRate(1e-12).fit(df).setNumSteps(12);
        Dataset<Row> seeds = spark().range(NUM_SAMPLES).withColumn("seed", functions.col("id").plus(1000));
        double trained = meanNearest(samples(model, seeds), data);
        double before = meanNearest(samples(untrained, seeds), data);
        SplittableRandom r = new SplittableRandom(11);
        float[][] noise = new float[NUM_SAMPLES][SIZE * SIZE];
        for (float[] n : noise) {
            for (int j = 0; j < n.length; j++) {
                n[j] = (float) r.nextGaussian();
            }
        }
        double noiseDist = meanNearest(noise, data);
        System.out.printf("toy shapes: nearest-image RMS distance trained %.3f, untrained %.3f, N(0, I) noise %.3f;"
                + " loss %s; training %.1f s%n", trained, before, noiseDist,
                java.util.Arrays.toString(model.summary().lossHistory()), (t1 - t0) / 1e9);
        assertTrue(trained < REQUIRED_RATIO * noiseDist, "trained " + trained + " vs noise " + noiseDist);
        assertTrue(trained < REQUIRED_RATIO * before, "trained " + trained + " vs untrained " + before);
    }

    private static float[][] samples(DiffusionModel m, Dataset<Row> seeds) {
        List<Row> rows = m.transform(seeds).collectAsList();
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            List<Float> l = rows.get(i).getList(rows.get(i).fieldIndex("sample"));
            out[i] = new float[l.size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = l.get(j);
            }
        }
        return out;
    }

    /** Mean over samples of the RMS per-pixel distance to the nearest data image. */
    static double meanNearest(float[][] samples, float[][] data) {
        double total = 0;
        for (float[] s : samples) {
            double best = Double.POSITIVE_INFINITY;
            for (float[] d : data) {
                double sq = 0;
                for (int j = 0; j < d.length; j++) {
                    double diff = s[j] - d[j];
                    sq += diff * diff;
                }
                best = Math.min(best, Math.sqrt(sq / d.length));
            }
            total += best;
        }
        return total / samples.length;
    }
}
