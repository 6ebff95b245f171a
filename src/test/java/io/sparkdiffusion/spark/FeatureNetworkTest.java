package io.sparkdiffusion.spark;

import io.sparkdiffusion.metrics.ClassTally;
import io.sparkdiffusion.metrics.FeatureMoments;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureNetworkTest extends SparkTestBase {

    @Test
    void standardStageChecks() {
        FeatureNetwork estimator = TinyFeatures.estimator();
        StageChecks.checkParams(estimator, Set.of());
        StageChecks.checkCopyAndUid(estimator, estimator.featureDim(), 9);
        StageChecks.checkParams(TinyFeatures.model(), Set.of("imageChannels", "imageSize", "numClasses", "channels",
                "featureDim"));
        StageChecks.checkCopyAndUid(TinyFeatures.model(), TinyFeatures.model().featuresCol(), "f2");
    }

    @Test
    void fitsAClassifierThatGeneralisesToHeldOutImages() {
        FeatureNetworkModel model = TinyFeatures.model();
        ClassTally test = model.accuracy(TinyFeatures.frame(150, 99, 0.3, 0, 0, 1, 2), "image", "label");
        assertEquals(150, test.count());
        assertTrue(test.accuracy() > 0.95, "held-out accuracy " + test.accuracy());
    }

    @Test
    void keepsTheReferenceStatisticsOfItsTrainingImages() {
        FeatureNetworkModel model = TinyFeatures.model();
        FeatureMoments ref = model.referenceMoments();
        assertEquals(300, ref.count());
        assertEquals(200 * 6, model.referenceFeatures().length);
        // Independent path: the transform's feature column, collected, with moments taken on the driver.
        List<Row> rows = model.transform(TinyFeatures.frame(300, 5, 0.3, 0, 0, 1, 2)).select("features").collectAsList();
        float[] all = new float[300 * 6];
        for (int i = 0; i < rows.size(); i++) {
            List<Float> f = rows.get(i).getList(0);
            for (int j = 0; j < 6; j++) {
                all[i * 6 + j] = f.get(j);
            }
        }
        FeatureMoments direct = FeatureMoments.ofRows(all, 6);
        assertArrayEquals(direct.mean(), ref.mean(), 1e-9);
        assertArrayEquals(direct.covariance(), ref.covariance(), 1e-9);
    }

    @Test
    void saveAndLoadKeepWeightsAndReference(@org.junit.jupiter.api.io.TempDir Path dir) {
        FeatureNetworkModel model = TinyFeatures.model();
        FeatureNetworkModel loaded = StageChecks.saveAndLoad(model, dir.resolve("features").toString(),
                FeatureNetworkModel::load);
        assertArrayEquals(model.weights(), loaded.weights());
        assertArrayEquals(model.referenceFeatures(), loaded.referenceFeatures());
        assertEquals(model.referenceMoments().count(), loaded.referenceMoments().count());
        assertArrayEquals(model.referenceMoments().comoment(), loaded.referenceMoments().comoment(), 0.0);
        assertArrayEquals(model.referenceMoments().mean(), loaded.referenceMoments().mean(), 0.0);
        assertEquals(model.featureCnnConfig(), loaded.featureCnnConfig());
        StageChecks.saveAndLoad(TinyFeatures.estimator(), dir.resolve("estimator").toString(), FeatureNetwork::load);
    }

    /**
     * The feature network's {@code network.properties} is checked like the diffusion model's (ModelFilesTest): a
     * changed entry is refused by the checksum, a format version that is no integer by name.
     */
    @Test
    void alteredNetworkEntriesAreRefused(@org.junit.jupiter.api.io.TempDir Path dir) throws java.io.IOException {
        Path saved = dir.resolve("features");
        TinyFeatures.model().write().save(saved.toString());
        Path props = saved.resolve("data/network.properties");
        String text = java.nio.file.Files.readString(props);
        String[][] changes = {
                {"hasReference=true", "hasReference=false", "network.properties was changed after it was saved"},
                {"formatVersion=1", "formatVersion=1x", "has no valid formatVersion ('1x'; expected an integer in [1, 1])"},
        };
        for (String[] c : changes) {
            assertTrue(text.contains(c[0]), c[0] + " in " + text);
            java.nio.file.Files.writeString(props, text.replace(c[0], c[1]));
            java.nio.file.Files.deleteIfExists(saved.resolve("data/.network.properties.crc"));
            RuntimeException e = assertThrows(RuntimeException.class, () -> FeatureNetworkModel.load(saved.toString()));
            String msg = ImageTensorizerTest.rootMessage(e);
            assertTrue(msg.contains(c[2]) && msg.contains(saved.toString()), msg);
        }
    }

    @Test
    void transformAddsFeaturesAndPredictions() {
        Dataset<Row> out = TinyFeatures.model().transform(TinyFeatures.frame(30, 7, 0.3, 0, 2));
        assertEquals(List.of("image", "label", "seed", "features", "prediction"), List.of(out.columns()));
        long right = out.filter("prediction = 2").count();
        assertTrue(right >= 28, right + " of 30 centre squares recognised");
    }

    @Test
    void unlabelledDataAndBadColumnsAreRejected() {
        Dataset<Row> df = TinyFeatures.frame(10, 1, 0.3, 0, 0);
        IllegalArgumentException noLabels = assertThrows(IllegalArgumentException.class,
                () -> TinyFeatures.estimator().setLabelCol("").fit(df));
        assertTrue(noLabels.getMessage().startsWith("labelCol is empty: the feature network is a classifier"),
                noLabels.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TinyFeatures.estimator().setInputCol("pixels").fit(df));
        assertTrue(missing.getMessage().startsWith("inputCol 'pixels' is not a column"), missing.getMessage());
        // The array length is not in the schema: the tasks find it, and Spark wraps their error.
        Exception size = assertThrows(org.apache.spark.SparkException.class,
                () -> TinyFeatures.estimator().setImageSize(9).fit(df));
        assertTrue(size.getMessage().contains("expected 81"), size.getMessage());
    }
}
