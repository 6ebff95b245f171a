package io.sparkdiffusion.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardNoiserTest extends SparkTestBase {
    private static final double SIGMA_DATA = 0.5;
    private static final double TOL = 1e-5;

    private static Dataset<Row> images(int n, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Float> img = new ArrayList<>();
            for (int j = 0; j < 4; j++) {
                img.add((float) Math.sin(i * 4 + j));
            }
            rows.add(RowFactory.create(img, (long) (100 + i), 0.5 + i));
        }
        StructType schema = new StructType().add("tensor", DataTypes.createArrayType(DataTypes.FloatType))
                .add("seed", DataTypes.LongType).add("time", DataTypes.DoubleType);
        return spark().createDataFrame(rows, schema).repartition(partitions);
    }

    private static double[] doubles(Row r, String col) {
        List<Float> l = r.getList(r.fieldIndex(col));
        return l.stream().mapToDouble(Float::doubleValue).toArray();
    }

    /**
     * EDM with the time given: sigma = t, s = 1, so x_t = y + t n, and the target is (y - cSkip x) / cOut with
     * cSkip = sd^2 / (t^2 + sd^2), cOut = t sd / sqrt(t^2 + sd^2) (Karras et al. 2022, Table 1).
     */
    @Test
    void edmRowsFollowTheClosedForm() {
        List<Row> rows = new ForwardNoiser().setTimeCol("time").setSeedCol("seed").transform(images(5, 2))
                .collectAsList();
        assertEquals(5, rows.size());
        assertEdmClosedForm(rows, SIGMA_DATA);
    }

    /** EDM with sigmaData set through the Param: the target's cSkip and cOut use it (same closed form as above). */
    @Test
    void sigmaDataParamReachesTheTarget() {
        double sd = 0.3;
        assertEdmClosedForm(new ForwardNoiser().setSigmaData(sd).setTimeCol("time").setSeedCol("seed")
                .transform(images(4, 2)).collectAsList(), sd);
    }

    private static void assertEdmClosedForm(List<Row> rows, double sd) {
        for (Row r : rows) {
            double t = r.getDouble(r.fieldIndex("time"));
            assertEquals(t, r.getDouble(r.fieldIndex("t")), 0.0);
            assertEquals(t, r.getDouble(r.fieldIndex("sigma")), 1e-12);
            double[] y = doubles(r, "tensor");
            double[] n = doubles(r, "noise");
            double[] x = doubles(r, "noisy");
            double[] target = doubles(r, "target");
            double cSkip = sd * sd / (t * t + sd * sd);
            double cOut = t * sd / Math.sqrt(t * t + sd * sd);
            for (int j = 0; j < y.length; j++) {
                assertEquals(y[j] + t * n[j], x[j], TOL);
                assertEquals((y[j] - cSkip * (y[j] + t * n[j])) / cOut, target[j], TOL);
            }
        }
    }

    /**
     * VP with betaD and betaMin set through the Params: sigma(t) = sqrt(exp(betaD t^2 / 2 + betaMin t) - 1),
     * s(t) = 1 / sqrt(1 + sigma^2), x_t = s (y + sigma n); cSkip = 1 and cOut = -sigma make the target n
     * (Karras et al. 2022, Table 1).
     */
    @Test
    void vpScheduleParamsReachTheNoising() {
        double betaD = 5.0;
        double betaMin = 0.5;
        List<Row> rows = new ForwardNoiser().setParameterization("vp").setBetaD(betaD).setBetaMin(betaMin)
                .setTimeCol("time").setSeedCol("seed").transform(images(4, 2)).collectAsList();
        for (Row r : rows) {
            double t = r.getDouble(r.fieldIndex("time"));
            double sigma = Math.sqrt(Math.exp(betaD * t * t / 2 + betaMin * t) - 1);
            double s = 1 / Math.sqrt(1 + sigma * sigma);
            assertEquals(sigma, r.getDouble(r.fieldIndex("sigma")), 1e-9 * sigma);
            double[] y = doubles(r, "tensor");
            double[] n = doubles(r, "noise");
            double[] x = doubles(r, "noisy");
            double[] target = doubles(r, "target");
            for (int j = 0; j < y.length; j++) {
                assertEquals(s * (y[j] + sigma * n[j]), x[j], TOL);
                assertEquals(n[j], target[j], TOL);
            }
        }
    }

    /** VE with its range set through the Params: training ln sigma ~ U(ln veSigmaMin, ln veSigmaMax). */
    @Test
    void veRangeParamsBoundTheDrawnSigma() {
        double lo = 0.5;
        double hi = 0.6;
        List<Row> rows = new ForwardNoiser().setParameterization("ve").setVeSigmaMin(lo).setVeSigmaMax(hi)
                .setSeedCol("seed").transform(images(20, 2)).collectAsList();
        for (Row r : rows) {
            double sigma = r.getDouble(r.fieldIndex("sigma"));
            assertTrue(sigma >= lo && sigma <= hi, "sigma in [" + lo + ", " + hi + "], got " + sigma);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> new ForwardNoiser().setParameterization("ve")
                .setVeSigmaMin(hi).setVeSigmaMax(lo).transformSchema(images(1, 1).schema()));
        assertTrue(e.getMessage().contains("sigmaMin must be < sigmaMax"), e.getMessage());
    }

    /** Per-row seeds: the same rows, bit for bit, under another partitioning, with and without a seed column. */
    @Test
    void rowsDoNotDependOnPartitioning() {
        for (ForwardNoiser f : List.of(new ForwardNoiser().setSeedCol("seed"), new ForwardNoiser().setSeed(3))) {
            var a = byKey(f.setParameterization("vp").transform(images(6, 1)).collectAsList());
            var b = byKey(f.transform(images(6, 3)).collectAsList());
            assertEquals(a, b);
        }
        var withSeed = byKey(new ForwardNoiser().setSeed(3).transform(images(6, 1)).collectAsList());
        var otherSeed = byKey(new ForwardNoiser().setSeed(4).transform(images(6, 1)).collectAsList());
        assertTrue(!withSeed.equals(otherSeed));
    }

    private static java.util.Map<Long, String> byKey(List<Row> rows) {
        java.util.Map<Long, String> m = new java.util.TreeMap<>();
        for (Row r : rows) {
            m.put(r.getLong(r.fieldIndex("seed")), r.getList(r.fieldIndex("noisy")).toString()
                    + r.getDouble(r.fieldIndex("sigma")) + r.getList(r.fieldIndex("target")));
        }
        return m;
    }

    @Test
    void drawnSigmaFollowsTheTrainingDistributionRange() {
        List<Row> rows = new ForwardNoiser().setParameterization("flow").setSeedCol("seed").transform(images(20, 2))
                .collectAsList();
        for (Row r : rows) {
            double t = r.getDouble(r.fieldIndex("t"));
            assertTrue(t > 0 && t < 1, "flow times lie in (0, 1), got " + t);
        }
    }

    @Test
    void badColumnsAreRefused() {
        StructType schema = images(1, 1).schema();
        var e = assertThrows(IllegalArgumentException.class,
                () -> new ForwardNoiser().setSeedCol("time").transformSchema(schema));
        assertTrue(e.getMessage().contains("seedCol 'time'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ForwardNoiser().setNoisyCol("seed").transformSchema(schema));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ForwardNoiser().setParameterization("ddpm"));
    }

    @Test
    void standardChecks(@TempDir Path dir) {
        ForwardNoiser f = new ForwardNoiser().setParameterization("ve").setVeSigmaMax(50).setSeedCol("seed").setSeed(9);
        StageChecks.checkParams(f, Set.of());
        StageChecks.checkCopyAndUid(f, f.parameterization(), "flow");
        StageChecks.saveAndLoad(f, dir.resolve("f").toString(), ForwardNoiser::load);
    }
}
