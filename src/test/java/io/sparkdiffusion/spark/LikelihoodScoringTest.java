package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.Likelihood;
import io.sparkdiffusion.metrics.BitsPerDim;
import io.sparkdiffusion.model.UNetDenoiser;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bpd as an evaluator metric: the partitioned computation equals {@link Likelihood} run on the driver over the same
 * images with the same dequantization and probes (Likelihood itself is checked against the Gaussian mixture's
 * closed form in LikelihoodTest), whatever the partitioning.
 */
class LikelihoodScoringTest extends SparkTestBase {
    private static final int SIZE = 8;
    private static final int DIM = SIZE * SIZE;
    private static final int N = 11;
    private static final int STEPS = 4;
    /** The same double arithmetic in the same order per image; only the mean's summation order differs. */
    private static final double SUM_ORDER = 1e-12;
    private static final StructType SCHEMA = new StructType()
            .add("image", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("label", DataTypes.IntegerType, false)
            .add("seed", DataTypes.LongType, false);

    private static int[][] pixels() {
        SplittableRandom r = new SplittableRandom(5);
        int[][] k = new int[N][DIM];
        for (int[] img : k) {
            for (int j = 0; j < DIM; j++) {
                img[j] = r.nextInt(256);
            }
        }
        return k;
    }

    private static Dataset<Row> frame(int[][] k, int partitions, float offGrid) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < k.length; i++) {
            float[] img = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                img[j] = (float) (2.0 * k[i][j] / 255 - 1);
            }
            img[3] += offGrid;
            rows.add(RowFactory.create(img, i % 3, 100L + i));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark().sparkContext());
        return spark().createDataFrame(jsc.parallelize(rows, partitions), SCHEMA);
    }

    @Test
    void equalsTheDriverSideIntegrationWhateverThePartitioning() {
        DiffusionModel model = DiffusionTrainerTest.tinyTrainer().setNumClasses(3).setLabelCol("label").setNumRounds(1)
                .fit(TinyData.frame(8, SIZE, 3, 1, 9));
        int[][] k = pixels();
        // The contract of LikelihoodScoring: dequantization from the row's seed, the probe from its complement.
        double[] x = new double[N * DIM];
        int[] labels = new int[N];
        long[] probes = new long[N];
        for (int i = 0; i < N; i++) {
            System.arraycopy(Likelihood.dequantize(k[i], new SplittableRandom(100L + i)), 0, x, i * DIM, DIM);
            labels[i] = i % 3;
            probes[i] = ~(100L + i);
        }
        var p = model.diffusionParameterization();
        double[] logp = new Likelihood(p.sigmaMin(), p.sigmaMax(), STEPS, 1, 1e-3)
                .logDensity(new UNetDenoiser(model.networkConfig(), p, model.emaWeights()), x, labels, probes, N, DIM);
        BitsPerDim.Tally expected = new BitsPerDim.Tally();
        for (double v : logp) {
            expected.add(Likelihood.bitsPerDim(v, DIM));
        }

        DiffusionEvaluator e = new DiffusionEvaluator().setMetricName("bpd").setInputCol("image").setModel(model)
                .setBpdSteps(STEPS);
        assertFalse(e.isLargerBetter());
        for (int partitions : new int[] {1, 3}) {
            BitsPerDim b = e.bitsPerDim(frame(k, partitions, 0));
            assertEquals(N, b.numImages());
            assertTrue(b.conditional());
            assertEquals(expected.mean(), b.bpd(), SUM_ORDER * expected.mean(), partitions + " partitions");
            assertEquals(expected.standardError(), b.standardError(), 1e-9, partitions + " partitions");
            assertEquals(STEPS, b.numSteps());
            assertEquals(p.sigmaMax(), b.sigmaMax(), 0.0);
        }
        assertEquals(expected.mean(), e.evaluate(frame(k, 2, 0)), SUM_ORDER * expected.mean(), "evaluate gives bpd");
        // Without the label column the same images are scored unconditionally: another number.
        BitsPerDim unconditional = e.bitsPerDim(frame(k, 2, 0).drop("label"));
        assertFalse(unconditional.conditional());
        assertTrue(Math.abs(unconditional.bpd() - expected.mean()) > 1e-9);

        var bad = assertThrows(Exception.class, () -> e.bitsPerDim(frame(k, 1, 0.002f)));
        Throwable cause = bad;
        while (cause.getCause() != null && !(cause instanceof IllegalArgumentException)) {
            cause = cause.getCause();
        }
        assertTrue(String.valueOf(cause.getMessage()).contains("not on the grid 2 k / 255 - 1"), String.valueOf(bad));
        var none = assertThrows(IllegalStateException.class, () -> new DiffusionEvaluator().setMetricName("bpd")
                .setInputCol("image").evaluate(frame(k, 1, 0)));
        assertTrue(none.getMessage().contains("set modelPath"), none.getMessage());
    }
}
