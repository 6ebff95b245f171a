package io.sparkdiffusion.spark;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Check 4: image folder -> Pipeline(ImageTensorizer, DiffusionTrainer) -> save -> load -> generate. */
class PipelineTest extends SparkTestBase {
    private static final int SIZE = 8;

    @Test
    void fitSaveLoadGenerateIsStableAcrossRoundTripAndPartitioning(@TempDir Path dir) throws IOException {
        Shapes.writePngs(dir.resolve("images"), 12, SIZE, 1);
        Dataset<Row> images = spark().read().format("image").load(dir.resolve("images").toString()).repartition(2);
        ImageTensorizer tensorizer = new ImageTensorizer().setImageChannels(1).setImageSize(SIZE);
        DiffusionTrainer trainer = DiffusionTrainerTest.tinyTrainer().setNumRounds(2);
        PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {tensorizer, trainer}).fit(images);
        fitted.write().overwrite().save(dir.resolve("pipeline").toString());
        PipelineModel loaded = PipelineModel.load(dir.resolve("pipeline").toString());

        assertInstanceOf(ImageTensorizer.class, loaded.stages()[0]);
        DiffusionModel before = ((DiffusionModel) fitted.stages()[1]).setNumSteps(4).setImageCol("image");
        DiffusionModel after = ((DiffusionModel) loaded.stages()[1]).setNumSteps(4).setImageCol("image");
        Map<Long, String> reference = samples(before, 1);
        assertEquals(6, reference.size());
        assertEquals(reference, samples(after, 1), "samples change across save and load");
        assertEquals(reference, samples(after, 2), "samples depend on partitioning (2)");
        assertEquals(reference, samples(after, 3), "samples depend on partitioning (3)");
        assertNotEquals(reference.get(0L), reference.get(1L), "different seeds, different samples");

        Row r = after.transform(seeds(1)).first();
        Row image = r.getStruct(r.fieldIndex("image"));
        assertEquals(SIZE, image.getInt(image.fieldIndex("height")));
        assertEquals(SIZE * SIZE, ((byte[]) image.getAs("data")).length);
    }

    /** An unfitted Pipeline of all four stages' estimators/transformers saves and loads with its Params. */
    @Test
    void unfittedPipelineSavesAndLoads(@TempDir Path dir) throws IOException {
        ImageTensorizer t = new ImageTensorizer().setImageSize(12);
        ForwardNoiser f = new ForwardNoiser().setParameterization("flow").setNoisyCol("x");
        DiffusionTrainer d = DiffusionTrainerTest.tinyTrainer().setLocalSteps(7);
        Pipeline p = new Pipeline().setStages(new PipelineStage[] {t, f, d});
        p.write().overwrite().save(dir.resolve("p").toString());
        PipelineStage[] back = Pipeline.load(dir.resolve("p").toString()).getStages();
        StageChecks.assertParamsEqual(t, back[0]);
        StageChecks.assertParamsEqual(f, back[1]);
        StageChecks.assertParamsEqual(d, back[2]);
        assertEquals(d.uid(), back[2].uid());
    }

    /** A class-conditional model with guidance: still a function of seed and label only. */
    @Test
    void guidedSamplesDependOnlyOnSeedAndLabel() {
        DiffusionModel model = DiffusionTrainerTest.tinyTrainer().setNumRounds(1).setNumClasses(3).setLabelCol("label")
                .fit(TinyData.frame(9, SIZE, 3, 2, 6)).setNumSteps(3).setGuidanceWeight(2.0).setSampleBatchSize(4);
        Dataset<Row> one = seeds(1).withColumn("label", functions.expr("cast(id % 3 as int)"));
        Dataset<Row> three = one.repartition(3);
        Map<Long, String> a = collect(model.transform(one));
        assertEquals(a, collect(model.transform(three)));
        assertTrue(a.values().stream().distinct().count() == a.size());
        // The jobs are done: each transform's weight broadcast goes, and a new transform broadcasts afresh.
        assertEquals(2, model.destroyWeightBroadcasts());
        assertEquals(0, model.destroyWeightBroadcasts());
        assertEquals(a, collect(model.transform(one)));
        assertEquals(1, model.destroyWeightBroadcasts());
    }

    private static Dataset<Row> seeds(int partitions) {
        return spark().range(0, 6, 1, partitions).withColumn("seed", functions.col("id").multiply(7919));
    }

    private static Map<Long, String> samples(DiffusionModel model, int partitions) {
        return collect(model.transform(seeds(partitions)));
    }

    private static Map<Long, String> collect(Dataset<Row> df) {
        Map<Long, String> m = new TreeMap<>();
        List<Row> rows = df.collectAsList();
        for (Row r : rows) {
            m.put(r.getLong(r.fieldIndex("id")), r.getList(r.fieldIndex("sample")).toString());
        }
        return m;
    }
}
