package io.sparkdiffusion.spark;

import io.sparkdiffusion.metrics.FeatureMoments;
import io.sparkdiffusion.metrics.FrechetDistance;
import io.sparkdiffusion.metrics.QualityReport;
import io.sparkdiffusion.nn.classifier.ThreeShapes;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.ml.tuning.TrainValidationSplit;
import org.apache.spark.ml.tuning.TrainValidationSplitModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The evaluator on "generated" images whose quality is known by construction: fresh draws of the training
 * distribution, draws of one class labelled as all three (mode collapse), and pure noise.
 */
class DiffusionEvaluatorTest extends SparkTestBase {
    /**
     * Moments merged across partitions vs taken on the driver: the same double sums in another order, equal to about
     * 1e-15 relative (measured); the distance then cancels traces several hundred times its size and takes square
     * roots of near-zero covariance eigenvalues, which amplify that to about 1e-9 (measured 1.3e-9). Any difference in
     * the features themselves would show at 1e-3 and above.
     */
    static final double MERGE_ORDER = 1e-7;

    private static DiffusionEvaluator evaluator() {
        return new DiffusionEvaluator().setInputCol("image").setFeatureModel(TinyFeatures.model())
                .setPrecisionRecallSamples(200);
    }

    @Test
    void standardChecksAndDirections() {
        DiffusionEvaluator e = evaluator();
        StageChecks.checkParams(e, Set.of());
        StageChecks.checkCopyAndUid(e, e.metricName(), "recall");
        assertFalse(e.setMetricName("fid").isLargerBetter());
        for (String m : List.of("precision", "recall", "classAccuracy")) {
            assertTrue(e.setMetricName(m).isLargerBetter(), m);
        }
        assertThrows(IllegalArgumentException.class, () -> e.setMetricName("inception"));
    }

    @Test
    void separatesGoodSamplesFromCollapsedAndNoiseSamples() {
        DiffusionEvaluator e = evaluator();
        QualityReport good = e.report(TinyFeatures.frame(300, 11, 0.3, 1000, 0, 1, 2));
        // Every image is a left half (class 0) but was "drawn for" classes 0, 1, 2 in turn.
        Dataset<Row> collapsed = TinyFeatures.frame(ThreeShapes.images(300, 12, 0.3, 0), ThreeShapes.labels(300, 0, 1, 2),
                1000);
        QualityReport modeCollapse = e.report(collapsed);
        QualityReport noise = e.report(TinyFeatures.frame(noise(300, 13), ThreeShapes.labels(300, 0, 1, 2), 1000));

        assertEquals(300, good.numSamples());
        assertEquals(200, good.precisionRecallSamples());
        assertTrue(good.classAccuracy() > 0.95 && good.precision() > 0.8 && good.recall() > 0.8, good.toJson());
        assertTrue(Math.abs(modeCollapse.classAccuracy() - 1.0 / 3) < 0.05, modeCollapse.toJson());
        assertTrue(modeCollapse.perClassAccuracy()[0] > 0.95 && modeCollapse.perClassAccuracy()[1] < 0.05,
                modeCollapse.toJson());
        assertTrue(modeCollapse.recall() < 0.5 && modeCollapse.precision() > 0.8, modeCollapse.toJson());
        // Both failures are far from the data; which is farther depends on the feature space, not asserted.
        assertTrue(modeCollapse.fid() > 100 * good.fid() && noise.fid() > 100 * good.fid(),
                "fid good " + good.fid() + ", collapsed " + modeCollapse.fid() + ", noise " + noise.fid());
        assertTrue(noise.precision() < 0.2, noise.toJson());
        assertEquals(good.fid(), e.setMetricName("fid").evaluate(TinyFeatures.frame(300, 11, 0.3, 1000, 0, 1, 2)), 0.0,
                "evaluate is the report's metric");
    }

    @Test
    void fidEqualsTheDistanceOfDriverSideMoments() {
        Dataset<Row> samples = TinyFeatures.frame(120, 21, 0.5, 0, 0, 1, 2);
        double fid = evaluator().setMetricName("fid").evaluate(samples);
        List<Row> rows = TinyFeatures.model().transform(samples).select("features").collectAsList();
        float[] all = new float[rows.size() * 6];
        for (int i = 0; i < rows.size(); i++) {
            List<Float> f = rows.get(i).getList(0);
            for (int j = 0; j < 6; j++) {
                all[i * 6 + j] = f.get(j);
            }
        }
        double direct = FrechetDistance.between(TinyFeatures.model().referenceMoments(), FeatureMoments.ofRows(all, 6))
                .value();
        assertEquals(direct, fid, MERGE_ORDER * direct);
    }

    @Test
    void savedEvaluatorLoadsItsFeatureNetworkFromThePath(@TempDir Path dir) throws Exception {
        String features = dir.resolve("features").toString();
        TinyFeatures.model().write().overwrite().save(features);
        DiffusionEvaluator e = new DiffusionEvaluator().setInputCol("image").setFeatureModelPath(features)
                .setPrecisionRecallSamples(200).setMetricName("classAccuracy");
        DiffusionEvaluator loaded = StageChecks.saveAndLoad(e, dir.resolve("evaluator").toString(),
                DiffusionEvaluator::load);
        Dataset<Row> samples = TinyFeatures.frame(60, 31, 0.3, 0, 0, 1, 2);
        assertEquals(evaluator().setMetricName("classAccuracy").evaluate(samples), loaded.evaluate(samples), 0.0);
    }

    @Test
    void trainValidationSplitPicksTheTrainerSettingWithTheLowestFid() {
        // A tiny class-conditional U-Net on the three shapes; the validation rows' seeds and labels drive sampling.
        DiffusionTrainer trainer = new DiffusionTrainer().setInputCol("image").setLabelCol("label").setNumClasses(3)
                .setImageSize(ThreeShapes.SIZE).setModelChannels(4).setChannelMult(new int[] {1}).setNumResBlocks(1)
                .setBatchSize(8).setLocalSteps(2).setNumRounds(1);
        ParamMap[] grid = new ParamGridBuilder().addGrid(trainer.learningRate(), new double[] {1e-3, 1e-2}).build();
        DiffusionEvaluator evaluator = evaluator().setInputCol("sample").setMetricName("fid");
        TrainValidationSplitModel tvs = new TrainValidationSplit().setEstimator(trainer).setEstimatorParamMaps(grid)
                .setEvaluator(evaluator).setTrainRatio(0.75).setSeed(3)
                .fit(TinyFeatures.frame(120, 51, 0.3, 0, 0, 1, 2));
        double[] fids = tvs.validationMetrics();
        assertEquals(2, fids.length);
        assertTrue(Double.isFinite(fids[0]) && Double.isFinite(fids[1]), java.util.Arrays.toString(fids));
        int best = fids[0] <= fids[1] ? 0 : 1;
        DiffusionModel chosen = (DiffusionModel) tvs.bestModel();
        assertEquals(grid[best].apply(trainer.learningRate()), chosen.parent().getOrDefault(trainer.learningRate()));
    }

    @Test
    void missingPiecesAreReportedByName() {
        Dataset<Row> samples = TinyFeatures.frame(20, 41, 0.3, 0, 0, 1, 2);
        IllegalStateException noModel = assertThrows(IllegalStateException.class,
                () -> new DiffusionEvaluator().setInputCol("image").evaluate(samples));
        assertTrue(noModel.getMessage().contains("has no feature network"), noModel.getMessage());
        IllegalArgumentException noLabels = assertThrows(IllegalArgumentException.class,
                () -> evaluator().setLabelCol("").setMetricName("classAccuracy").evaluate(samples));
        assertTrue(noLabels.getMessage().startsWith("classAccuracy needs the class each sample was drawn for"),
                noLabels.getMessage());
        IllegalArgumentException wrongCol = assertThrows(IllegalArgumentException.class,
                () -> evaluator().setInputCol("sample").evaluate(samples));
        assertTrue(wrongCol.getMessage().startsWith("inputCol 'sample' is not a column"), wrongCol.getMessage());
    }

    private static float[] noise(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * ThreeShapes.PIXELS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * r.nextDouble() - 1);
        }
        return x;
    }
}
