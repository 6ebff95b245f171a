package io.sparkdiffusion.spark;

import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Point 4 of the fault issue: bad input fails with an error that names the input (file, column, setting), the
 * problem and what would be right, or is skipped or kept per {@code handleInvalid}. Each test names its kinds.
 */
class BadInputTest extends SparkTestBase {
    private static final int SIZE = 8;

    private static String error(Supplier<?> action) {
        return error("the action", action);
    }

    private static String error(String what, Supplier<?> action) {
        Exception e = assertThrows(Exception.class, action::get, what + " must fail");
        return ImageTensorizerTest.rootMessage(e);
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
        }
    }

    private static byte[] encode(String format, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, (x * 37 + y * 11) & 0xFF);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out));
        return out.toByteArray();
    }

    /** A valid PNG whose header claims {@code w x h} pixels: a decompression bomb's header, a few bytes long. */
    private static byte[] bombPng(int w, int h) throws IOException {
        byte[] png = encode("png", 1, 1);
        // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC covers type + 13 data bytes.
        ByteBuffer b = ByteBuffer.wrap(png);
        b.putInt(16, w);
        b.putInt(20, h);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        b.putInt(29, (int) crc.getValue());
        return png;
    }

    /** The files as binaryFile rows, plus one good 8 x 8 PNG named good.png. */
    private Dataset<Row> files(Path dir, String name, byte[] bytes) throws IOException {
        Files.write(dir.resolve("good.png"), encode("png", SIZE, SIZE));
        Files.write(dir.resolve(name), bytes);
        return spark().read().format("binaryFile").load(dir.toString()).orderBy("path");
    }

    private static ImageTensorizer tensorizer() {
        return new ImageTensorizer().setInputCol("content").setImageSize(SIZE);
    }

    /** Kinds 1-4 and 6: corrupt and truncated PNG and JPEG, a decompression bomb. */
    @Test
    void undecodableFilesAreNamedSkippedOrKept(@TempDir Path dir) throws IOException {
        byte[] png = encode("png", 16, 16);
        byte[] jpeg = encode("jpeg", 16, 16);
        byte[] corruptPng = png.clone();
        Arrays.fill(corruptPng, 40, png.length, (byte) 0x5A);
        byte[] corruptJpeg = jpeg.clone();
        Arrays.fill(corruptJpeg, 20, jpeg.length, (byte) 0x5A);
        Object[][] cases = {
                {"corrupt.png", corruptPng, "cannot be decoded"},
                {"truncated.png", Arrays.copyOf(png, png.length / 2), "cannot be decoded"},
                {"corrupt.jpg", corruptJpeg, "cannot be decoded"},
                {"truncated.jpg", Arrays.copyOf(jpeg, jpeg.length / 2), "cannot be decoded"},
                {"bomb.png", bombPng(50_000, 50_000), "2500000000 pixels"},
        };
        for (Object[] c : cases) {
            Path sub = Files.createDirectories(dir.resolve(((String) c[0]).replace('.', '_')));
            Dataset<Row> df = files(sub, (String) c[0], (byte[]) c[1]);
            String msg = error((String) c[0], () -> tensorizer().transform(df).collectAsList());
            assertMentions(msg, (String) c[0], (String) c[2], "handleInvalid");
            List<Row> skipped = tensorizer().setHandleInvalid("skip").transform(df).collectAsList();
            assertEquals(1, skipped.size(), c[0] + ": only good.png is left");
            assertTrue(skipped.get(0).getString(0).endsWith("good.png"));
            List<Row> kept = tensorizer().setHandleInvalid("keep").transform(df).collectAsList();
            assertEquals(2, kept.size(), c[0] + ": kept with a null tensor");
            for (Row r : kept) {
                if (r.getString(0).endsWith((String) c[0])) {
                    assertNull(r.get(r.fieldIndex("tensor")), (String) c[0]);
                }
            }
        }
    }

    /**
     * Kind 5: a zero-byte file. Spark's file sources leave empty files out of their scans, so the empty bytes
     * come here as a binary column with the path column binaryFile would give them.
     */
    @Test
    void aZeroByteFileIsNamed() {
        StructType schema = new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType);
        Dataset<Row> df = spark().createDataFrame(List.of(RowFactory.create("file:/data/empty.png", new byte[0])), schema);
        assertMentions(error(() -> tensorizer().transform(df).collectAsList()), "file:/data/empty.png", "empty file",
                "0 bytes");
        assertEquals(0, tensorizer().setHandleInvalid("skip").transform(df).count());
    }

    /** The pixel limit is a setting: a large real image passes once the limit allows it. */
    @Test
    void thePixelLimitIsASetting(@TempDir Path dir) throws IOException {
        Dataset<Row> df = files(dir, "wide.png", encode("png", 64, 32));
        assertMentions(error(() -> tensorizer().setMaxImagePixels(1000).transform(df).collectAsList()),
                "wide.png", "2048 pixels", "maxImagePixels 1000");
        assertEquals(2, tensorizer().setMaxImagePixels(2048).transform(df).count());
    }

    /** Kinds 7-8: wrong image size and wrong channel count. */
    @Test
    void wrongSizesAndChannelCountsAreNamed() {
        StructType arrays = new StructType().add("pixels", DataTypes.createArrayType(DataTypes.FloatType, false));
        Dataset<Row> short63 = spark().createDataFrame(List.of(RowFactory.create((Object) floats(63, 0.5f))), arrays);
        assertMentions(error(() -> new ImageTensorizer().setInputCol("pixels").setImageSize(SIZE).transform(short63)
                .collectAsList()), "'pixels'", "expected 64 values");
        // Training on 1-channel tensors with imageChannels = 3.
        assertMentions(error(() -> DiffusionTrainerTest.tinyTrainer().setImageChannels(3).setNumRounds(1)
                .fit(TinyData.frame(4, SIZE, 1, 1, 3))), "'tensor'", "64 values", "expected 192");
        // An image struct with 2 channels (OpenCV has no such 8-bit type).
        Row twoChannel = RowFactory.create("mem://two-channel.png", 1, 1, 2, 0, new byte[] {1, 2});
        Dataset<Row> structs = spark().createDataFrame(List.of(RowFactory.create(twoChannel)),
                new StructType().add("image", ImageSchema.columnSchema()));
        assertMentions(error(() -> new ImageTensorizer().setImageSize(1).transform(structs).collectAsList()),
                "mem://two-channel.png", "1, 3 or 4 channels");
    }

    /** Kinds 9-10: NaN and infinite values in array columns, for the tensorizer and the trainer. */
    @Test
    void nonFiniteArrayValuesAreNamed() {
        StructType arrays = new StructType().add("tensor", DataTypes.createArrayType(DataTypes.FloatType, false));
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            float[] img = floats(SIZE * SIZE, 0.25f);
            img[9] = bad;
            Dataset<Row> df = spark().createDataFrame(List.of(RowFactory.create((Object) img)), arrays);
            assertMentions(error(() -> new ImageTensorizer().setInputCol("tensor").setOutputCol("t2").setImageSize(SIZE)
                    .transform(df).collectAsList()), "'tensor'", String.valueOf(bad), "index 9");
            assertEquals(0, new ImageTensorizer().setInputCol("tensor").setOutputCol("t2").setImageSize(SIZE)
                    .setHandleInvalid("skip").transform(df).count());
            assertMentions(error(() -> DiffusionTrainerTest.tinyTrainer().setNumRounds(1).fit(df)),
                    "'tensor'", String.valueOf(bad), "index 9");
        }
    }

    /** Kinds 11-13: missing paths, missing columns, mistyped columns. */
    @Test
    void missingPathsAndColumnsAreNamed(@TempDir Path dir) {
        String missing = dir.resolve("no-such-model").toString();
        assertMentions(error(() -> DiffusionModel.load(missing)), "no-such-model");
        assertMentions(error(() -> spark().read().format("binaryFile").load(dir.resolve("no-images").toString())),
                "no-images");

        Dataset<Row> df = TinyData.frame(4, SIZE, 2, 1, 3);
        assertMentions(error(() -> DiffusionTrainerTest.tinyTrainer().setInputCol("pixels").fit(df)),
                "inputCol 'pixels' is not a column", "[tensor, label]");
        assertMentions(error(() -> DiffusionTrainerTest.tinyTrainer().setNumClasses(2).setLabelCol("class").fit(df)),
                "labelCol 'class' is not a column");
        Dataset<Row> strings = df.withColumn("tensor", df.col("label").cast("string"));
        assertMentions(error(() -> DiffusionTrainerTest.tinyTrainer().fit(strings)),
                "inputCol 'tensor'", "array<float>", "got string");
        Dataset<Row> textLabels = df.withColumn("label", df.col("label").cast("string"));
        assertMentions(error(() -> DiffusionTrainerTest.tinyTrainer().setNumClasses(2).setLabelCol("label")
                .fit(textLabels)), "labelCol 'label'", "integers", "got string");
        DiffusionModel model = new DiffusionModel("m");
        Dataset<Row> doubleSeeds = spark().range(3).selectExpr("cast(id as double) as seed");
        assertMentions(error(() -> model.transformSchema(doubleSeeds.schema())), "seedCol 'seed'", "integers",
                "got double");
    }

    /** Kind 14: labels out of range, in training and in sampling. */
    @Test
    void labelsOutOfRangeAreNamed() {
        Dataset<Row> df = TinyData.frame(6, SIZE, 5, 1, 3); // labels 0..4
        assertMentions(error(() -> DiffusionTrainerTest.tinyTrainer().setNumClasses(3).setLabelCol("label").setNumRounds(1)
                .fit(df)), "label column 'label' holds 3", "[0, 3)");
        Dataset<Row> negative = df.withColumn("label", df.col("label").minus(3)); // -3..1
        assertMentions(error(() -> DiffusionTrainerTest.tinyTrainer().setNumClasses(3).setLabelCol("label")
                .setNumRounds(1).fit(negative)), "label column 'label' holds -", "[0, 3)");
        DiffusionModel model = DiffusionTrainerTest.tinyTrainer().setNumClasses(3).setLabelCol("label").setNumRounds(1)
                .fit(TinyData.frame(6, SIZE, 3, 1, 4)).setNumSteps(2);
        Dataset<Row> seeds = spark().range(2).selectExpr("id as seed", "cast(id + 5 as int) as label");
        // Seeds 0 and 1 carry labels 5 and 6: either task may fail first.
        assertMentions(error(() -> model.transform(seeds).collectAsList()), "labelCol holds ", "[0, 3)");
        Dataset<Row> nullSeeds = spark().range(2).selectExpr("cast(null as long) as seed", "0 as label");
        assertMentions(error(() -> model.transform(nullSeeds).collectAsList()), "null seed");
    }

    /** Kinds 15-19: invalid settings, refused when set or before any work. */
    @Test
    void invalidSettingsAreRefusedByName() {
        assertMentions(error(() -> new DiffusionTrainer().setLocalSteps(0)), "localSteps", "0");
        assertMentions(error(() -> new DiffusionTrainer().setNumRounds(-2)), "numRounds", "-2");
        assertMentions(error(() -> new DiffusionTrainer().setBatchSize(0)), "batchSize", "0");
        assertMentions(error(() -> new DiffusionModel("m").setNumSteps(-1)), "numSteps", "-1");
        assertMentions(error(() -> new DiffusionTrainer().setLearningRate(Double.NaN)), "learningRate", "NaN");
        assertMentions(error(() -> new DiffusionModel("m").setSigmaMin(80).setSigmaMax(1).samplerSettings()),
                "sigmaMin", "sigmaMax");
        assertMentions(error(() -> new DiffusionModel("m").setSigmaMin(5).setSigmaMax(5).samplerSettings()),
                "sigmaMin", "sigmaMax");
        assertMentions(error(() -> new DiffusionTrainer().setParameterization("ddpm++")), "parameterization", "ddpm++");
        assertMentions(error(() -> new DiffusionModel("m").setSampler("dpm-fast")), "sampler", "dpm-fast");
        assertMentions(error(() -> new DiffusionModel("m").setOdeSchedule("linear")), "odeSchedule", "linear");
        assertMentions(error(() -> new DiffusionTrainer().setSyncMode("grads")), "syncMode", "grads");
        assertMentions(error(() -> new DiffusionTrainer().setSyncMode("gradients").setLocalSteps(1).trainingConfig()),
                "syncMode gradients", "set globalBatchSize");
        assertMentions(error(() -> new DiffusionModel("m").setSampler("ddim").setOdeSchedule("edm").samplerSettings()),
                "odeSchedule edm", "ddim", "heun");
        assertMentions(error(() -> new ImageTensorizer().setHandleInvalid("ignore")), "handleInvalid", "ignore");
        assertMentions(error(() -> new DiffusionTrainer().setOnDivergence("retry")), "onDivergence", "retry");
    }

    private static float[] floats(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
