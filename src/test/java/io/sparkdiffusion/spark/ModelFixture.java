package io.sparkdiffusion.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the saved-model fixture {@code src/test/resources/model-format-1/}: a tiny class-conditional EDM model
 * trained for one round, saved with {@code DiffusionModel.write()}, and {@code samples.txt}, the samples that
 * build drew from it (seeds 0..3, labels 0, 1, null, 1; heun with 4 steps; one float per line as its raw bits in
 * hex). It was run once on commit eead016, before the model classes moved, so {@code SavedModelFormatTest}
 * checks a model of the previous format against that build's own output. Run with the test classpath:
 * {@code java -cp target/test-classes:target/classes:<deps> io.sparkdiffusion.spark.ModelFixture <outDir>}.
 */
public final class ModelFixture {
    static final int SIZE = 8;
    static final long[] SEEDS = {0, 1, 2, 3};
    static final Integer[] LABELS = {0, 1, null, 1};
    static final int NUM_STEPS = 4;

    private ModelFixture() {
    }

    static DiffusionTrainer trainer() {
        return new DiffusionTrainer().setImageChannels(1).setImageSize(SIZE).setModelChannels(4)
                .setChannelMult(new int[] {1, 2}).setNumResBlocks(1).setNumClasses(2).setLabelCol("label")
                .setBatchSize(4).setLocalSteps(3).setNumRounds(1).setLearningRate(2e-3).setWarmupSteps(2)
                .setEmaHalfLifeImages(20).setSeed(23);
    }

    static Dataset<Row> seeds() {
        StructType schema = new StructType().add("seed", DataTypes.LongType).add("label", DataTypes.IntegerType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < SEEDS.length; i++) {
            rows.add(RowFactory.create(SEEDS[i], LABELS[i]));
        }
        return SparkTestBase.spark().createDataFrame(rows, schema).coalesce(1);
    }

    /** A one-partition frame with a long {@code seed} column. */
    static Dataset<Row> seedRows(long[] seeds) {
        StructType schema = new StructType().add("seed", DataTypes.LongType);
        List<Row> rows = new ArrayList<>();
        for (long s : seeds) {
            rows.add(RowFactory.create(s));
        }
        return SparkTestBase.spark().createDataFrame(rows, schema).coalesce(1);
    }

    /** The samples of {@code model} for {@link #seeds()}, row after row, as {@code Float.floatToRawIntBits} hex. */
    static List<String> samples(DiffusionModel model) {
        List<String> lines = new ArrayList<>();
        for (Row r : model.setSampler("heun").setNumSteps(NUM_STEPS).transform(seeds()).orderBy("seed").collectAsList()) {
            for (Object v : r.getList(r.fieldIndex("sample"))) {
                lines.add(Integer.toHexString(Float.floatToRawIntBits((Float) v)));
            }
        }
        return lines;
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        DiffusionModel model = trainer().fit(TinyData.frame(8, SIZE, 2, 1, 29));
        model.write().save(out.toString());
        Files.write(out.resolve("samples.txt"), samples(DiffusionModel.load(out.toString())), StandardCharsets.UTF_8);
        SparkTestBase.spark().stop();
    }
}
