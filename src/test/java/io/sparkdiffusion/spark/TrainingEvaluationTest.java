package io.sparkdiffusion.spark;

import io.sparkdiffusion.metrics.QualityReport;
import io.sparkdiffusion.train.EvaluationRecord;
import io.sparkdiffusion.train.RoundListener;
import io.sparkdiffusion.train.RoundRecord;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quality while training: a tiny U-Net on the 8 x 8 three-shape images, scored every round by the tiny feature
 * network of {@link TinyFeatures}.
 */
class TrainingEvaluationTest extends SparkTestBase {
    private static final int SAMPLES = 24;

    /** A 3-class tiny trainer on the three-shape images; the evaluations sample with 3 Heun steps. */
    private static DiffusionTrainer trainer() {
        return DiffusionTrainerTest.tinyTrainer().setNumClasses(3).setLabelCol("label").setInputCol("image")
                .setNumRounds(3).setEvalSamples(SAMPLES).setEvalFeatureModel(TinyFeatures.model())
                .setEvalSampling(new DiffusionModel("evalSampling").setNumSteps(3));
    }

    private static Dataset<Row> data() {
        return TinyFeatures.frame(40, 21, 0.3, 0, 0, 1, 2).repartition(2);
    }

    /** What a listener heard, in order: "round r" and "eval r". */
    private static final class Recorder implements RoundListener {
        final List<String> events = new ArrayList<>();
        final List<RoundRecord> rounds = new ArrayList<>();
        final List<EvaluationRecord> evaluations = new ArrayList<>();

        @Override
        public void onRound(RoundRecord record, int plannedRounds) {
            events.add("round " + record.round());
            rounds.add(record);
        }

        @Override
        public void onEvaluation(EvaluationRecord evaluation) {
            events.add("eval " + evaluation.round());
            evaluations.add(evaluation);
        }
    }

    @Test
    void everyRoundIsEvaluatedWithoutChangingTheTraining(@TempDir Path dir) throws IOException {
        Dataset<Row> df = data().cache();
        Recorder heard = new Recorder();
        DiffusionModel evaluated = trainer().setEvalInterval(1).setRoundListener(heard).fit(df);
        DiffusionModel plain = trainer().fit(df);

        // The evaluation's jobs draw none of the training's random numbers: the same weights, bit for bit.
        assertArrayEquals(plain.weights(), evaluated.weights());
        assertArrayEquals(plain.emaWeights(), evaluated.emaWeights());
        assertArrayEquals(plain.summary().lossHistory(), evaluated.summary().lossHistory());
        assertEquals(List.of(), plain.summary().evaluations());

        assertEquals(List.of("eval 0", "round 0", "eval 1", "round 1", "eval 2", "round 2"), heard.events,
                "each evaluation reaches the listener before its round's line");
        List<EvaluationRecord> evals = evaluated.summary().evaluations();
        assertEquals(heard.evaluations, evals);
        for (int r = 0; r < 3; r++) {
            EvaluationRecord e = evals.get(r);
            assertEquals(heard.rounds.get(r).imagesSeen(), e.imagesSeen());
            assertEquals(SAMPLES, e.report().numSamples());
            assertEquals(SAMPLES, e.report().precisionRecallSamples());
            assertTrue(Double.isFinite(e.report().fid()) && e.report().fid() > 0, e.report().toJson());
            assertEquals(3, e.report().perClassAccuracy().length, "class-conditional: per-class accuracy");
            assertTrue(e.nanos() > 0);
        }

        // The last evaluation scored the returned model's EMA weights: drawing the same seeds (class seed mod 3) with
        // the same sampler from the fitted model and scoring them gives the same report.
        DiffusionModel model = evaluated.copy(org.apache.spark.ml.param.ParamMap.empty()).setNumSteps(3)
                .setLabelCol("label");
        Dataset<Row> samples = model.transform(TrainingEvaluation.seeds(spark(), SAMPLES, 3, 2));
        QualityReport direct = new DiffusionEvaluator().setFeatureModel(TinyFeatures.model()).setLabelCol("label")
                .setPrecisionRecallSamples(SAMPLES).report(samples);
        QualityReport last = evaluated.summary().finalEvaluation().orElseThrow().report();
        assertEquals(direct.fid(), last.fid(), DiffusionEvaluatorTest.MERGE_ORDER * direct.fid());
        assertEquals(direct.classAccuracy(), last.classAccuracy(), 0.0);
        assertEquals(direct.precision(), last.precision(), 0.0);
        assertEquals(direct.recall(), last.recall(), 0.0);
        model.destroyWeightBroadcasts();

        // Saved with the model: the final evaluation in data/quality.json.
        String path = dir.resolve("model").toString();
        evaluated.write().save(path);
        String quality = Files.readString(dir.resolve("model/data/" + DiffusionModel.QUALITY_FILE), StandardCharsets.UTF_8);
        assertTrue(quality.startsWith("{\"round\": 3, \"imagesSeen\": " + heard.rounds.get(2).imagesSeen() + ", "), quality);
        assertTrue(quality.contains("\"numSamples\": " + SAMPLES + ", \"fid\": "), quality);
        plain.write().save(dir.resolve("plain").toString());
        assertTrue(Files.notExists(dir.resolve("plain/data/" + DiffusionModel.QUALITY_FILE)), "no evaluation, no file");
        df.unpersist();
    }

    @Test
    void evaluatesEveryIntervalAndAfterTheLastRound() {
        Recorder heard = new Recorder();
        DiffusionModel model = trainer().setNumRounds(5).setEvalInterval(2).setRoundListener(heard).fit(data());
        assertEquals(List.of(1, 3, 4), model.summary().evaluations().stream().map(EvaluationRecord::round).toList());
        assertEquals(List.of(false, true, false, true, true),
                List.of(0, 1, 2, 3, 4).stream().map(r -> TrainingEvaluation.isDue(r, 2, 5)).toList());
    }

    @Test
    void badEvaluationSettingsFailBeforeTraining() {
        Dataset<Row> df = data();
        Recorder heard = new Recorder();
        var e = assertThrows(IllegalArgumentException.class, () -> DiffusionTrainerTest.tinyTrainer()
                .setNumClasses(3).setLabelCol("label").setInputCol("image").setEvalInterval(2)
                .setRoundListener(heard).fit(df));
        assertTrue(e.getMessage().contains("evalInterval is 2 but there is no feature network")
                && e.getMessage().contains("featureModelPath"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> trainer().setEvalSamples(3));
        assertThrows(IllegalArgumentException.class, () -> trainer().setEvalInterval(-1));
        // The tiny feature network knows 3 classes; a 5-class model cannot be scored by it.
        e = assertThrows(IllegalArgumentException.class, () -> trainer().setNumClasses(5).setEvalInterval(1)
                .setRoundListener(heard).fit(df));
        assertTrue(e.getMessage().contains("knows 3 classes, the model has 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> trainer().setEvalInterval(1)
                .setEvalSampling(new DiffusionModel("bad").setSigmaMin(10).setSigmaMax(1))
                .setRoundListener(heard).fit(df));
        assertTrue(e.getMessage().contains("sigmaMin must be < sigmaMax"), e.getMessage());
        assertEquals(List.of(), heard.events, "nothing trained");
    }
}
