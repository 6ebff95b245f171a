package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.EdmParameterization;
import io.sparkdiffusion.diffusion.VpParameterization;
import io.sparkdiffusion.diffusion.sampling.Sampler;
import io.sparkdiffusion.diffusion.sampling.SamplerKind;
import io.sparkdiffusion.diffusion.sampling.SamplerSettings;
import io.sparkdiffusion.model.UNetDenoiser;
import io.sparkdiffusion.train.DiffusionObjective;
import io.sparkdiffusion.train.LocalTrainingLoop;
import io.sparkdiffusion.train.Shard;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Parameterization fields set through the stages' Params reach the executors: training with EDM's
 * {@code sigmaData} and sampling with VP's {@code epsilonS} give, bit for bit, what the plain-Java loop and sampler
 * give with the parameterization record built here by hand; a trained and saved model reports both values; the
 * VP grid it samples on has NVlabs/edm's interior levels for that {@code epsilonS}.
 */
class ParameterizationParamsTest extends SparkTestBase {
    private static final int SIZE = 8;
    private static final double SIGMA_DATA = 0.4;
    private static final double EPSILON_S = 1e-2;
    private static final int NUM_STEPS = 4;

    private static DiffusionTrainer trainer() {
        return DiffusionTrainerTest.tinyTrainer().setNumRounds(1);
    }

    @Test
    void sigmaDataSetOnTheTrainerIsTheOneTheExecutorsTrainWith(@TempDir Path dir) throws java.io.IOException {
        DiffusionTrainer trainer = trainer().setSigmaData(SIGMA_DATA);
        Dataset<Row> df = TinyData.frame(8, SIZE, 1, 1, 3);
        DiffusionModel model = trainer.fit(df);
        Shard data = TinyData.shards(df, SIZE * SIZE, false).get(0);
        EdmParameterization d = EdmParameterization.defaults();
        var byHand = LocalTrainingLoop.run(new DiffusionObjective(trainer.networkConfig(),
                new EdmParameterization(SIGMA_DATA, d.pMean(), d.pStd(), d.sigmaMin(), d.sigmaMax(), d.rho()),
                trainer.getLabelDropout()), trainer.trainingConfig(), data, trainer.getLocalSteps());
        assertArrayEquals(byHand.params(), model.weights());
        var withDefault = LocalTrainingLoop.run(new DiffusionObjective(trainer.networkConfig(), d,
                trainer.getLabelDropout()), trainer.trainingConfig(), data, trainer.getLocalSteps());
        assertFalse(java.util.Arrays.equals(withDefault.params(), model.weights()), "sigmaData must change training");

        model.write().save(dir.resolve("edm").toString());
        DiffusionModel loaded = DiffusionModel.load(dir.resolve("edm").toString());
        assertEquals(SIGMA_DATA, loaded.getSigmaData());
        assertEquals(SIGMA_DATA, ((EdmParameterization) loaded.diffusionParameterization()).sigmaData());
    }

    @Test
    void epsilonSSetOnTheTrainerIsTheOneTheExecutorsSampleWith(@TempDir Path dir) throws java.io.IOException {
        DiffusionModel trained = trainer().setParameterization("vp").setEpsilonS(EPSILON_S)
                .fit(TinyData.frame(8, SIZE, 1, 1, 4));
        trained.write().save(dir.resolve("vp").toString());
        DiffusionModel model = DiffusionModel.load(dir.resolve("vp").toString());
        assertEquals(EPSILON_S, model.getEpsilonS());
        VpParameterization p = new VpParameterization(19.9, 0.1, 1e-5, EPSILON_S, 1000);
        assertEquals(p, model.diffusionParameterization());
        io.sparkdiffusion.diffusion.TimeGridTest.assertVpInteriorLevels(
                (VpParameterization) model.diffusionParameterization(), 18);

        long[] seeds = {5, 6};
        List<Row> rows = model.setNumSteps(NUM_STEPS).transform(ModelFixture.seedRows(seeds)).orderBy("seed")
                .collectAsList();
        Sampler byHand = new Sampler(p, SamplerSettings.defaults(SamplerKind.HEUN, p).withNumSteps(NUM_STEPS));
        UNetDenoiser d = new UNetDenoiser(model.networkConfig(), p, model.emaWeights());
        for (int i = 0; i < seeds.length; i++) {
            double[] x = byHand.sample(d, 1, SIZE * SIZE, new long[] {seeds[i]}, null);
            List<Float> got = rows.get(i).getList(rows.get(i).fieldIndex("sample"));
            for (int j = 0; j < x.length; j++) {
                assertEquals((float) x[j], got.get(j), "seed " + seeds[i] + " value " + j);
            }
        }
    }
}
