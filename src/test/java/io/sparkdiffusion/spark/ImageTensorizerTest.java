package io.sparkdiffusion.spark;

import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.Vectors;
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
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageTensorizerTest extends SparkTestBase {
    private static final float TOL = 1e-6f;

    private static float px(int byteValue) {
        return byteValue / 127.5f - 1;
    }

    private static float[] tensor(Row r, String col) {
        List<Float> l = r.getList(r.fieldIndex(col));
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = l.get(i);
        }
        return out;
    }

    /** A 1 x 2 BGR image struct: pixel 0 is (B, G, R) = (10, 20, 30), pixel 1 is (40, 50, 60). */
    private static Dataset<Row> bgrStruct() {
        Row img = RowFactory.create("mem://a", 1, 2, 3, 16, new byte[] {10, 20, 30, 40, 50, 60});
        StructType schema = new StructType().add("image", ImageSchema.columnSchema());
        return spark().createDataFrame(List.of(RowFactory.create(img)), schema);
    }

    @Test
    void imageStructBecomesPlanarRgbWithoutResizing() {
        // Shorter side 1 = imageSize: no scaling; the centre crop keeps column (2 - 1) / 2 = 0.
        Row r = new ImageTensorizer().setImageChannels(3).setImageSize(1).transform(bgrStruct()).first();
        assertArrayEquals(new float[] {px(30), px(20), px(10)}, tensor(r, "tensor"), TOL);
    }

    @Test
    void grayOutputIsBt601Luma() {
        Row r = new ImageTensorizer().setImageChannels(1).setImageSize(1).transform(bgrStruct()).first();
        double luma = 0.299 * 30 + 0.587 * 20 + 0.114 * 10;
        assertArrayEquals(new float[] {(float) (luma / 127.5 - 1)}, tensor(r, "tensor"), TOL);
    }

    /** PNG bytes, 4 wide x 2 high: scale 1 (shorter side 2), centre crop keeps columns 1 and 2. */
    @Test
    void pngBytesAreDecodedAndCentreCropped() throws IOException {
        BufferedImage img = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_GRAY);
        int[][] values = {{0, 60, 120, 255}, {10, 70, 130, 200}};
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 4; x++) {
                img.getRaster().setSample(x, y, 0, values[y][x]);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        StructType schema = new StructType().add("content", DataTypes.BinaryType);
        Dataset<Row> df = spark().createDataFrame(List.of(RowFactory.create((Object) png.toByteArray())), schema);
        Row r = new ImageTensorizer().setInputCol("content").setImageSize(2).transform(df).first();
        assertArrayEquals(new float[] {px(60), px(120), px(70), px(130)}, tensor(r, "tensor"), TOL);
    }

    /** An RGB PNG keeps its channels in R, G, B order; a JPEG of one colour decodes close to it. */
    @Test
    void rgbPngAndJpegBytes() throws IOException {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                img.setRGB(x, y, (200 << 16) | (100 << 8) | 50);
            }
        }
        StructType schema = new StructType().add("content", DataTypes.BinaryType);
        ImageTensorizer t = new ImageTensorizer().setInputCol("content").setImageChannels(3).setImageSize(2);
        for (String format : List.of("png", "jpg")) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(img, format, bytes);
            Dataset<Row> df = spark().createDataFrame(List.of(RowFactory.create((Object) bytes.toByteArray())), schema);
            float[] v = tensor(t.transform(df).first(), "tensor");
            // JPEG's lossy YCbCr round trip moves a flat colour by a few levels at most.
            float tol = format.equals("png") ? TOL : 6 / 127.5f;
            for (int i = 0; i < 4; i++) {
                assertEquals(px(200), v[i], tol, format + " R");
                assertEquals(px(100), v[4 + i], tol, format + " G");
                assertEquals(px(50), v[8 + i], tol, format + " B");
            }
        }
    }

    /** A constant image stays constant under any resampling (weights are normalized). */
    @Test
    void downscalingAConstantImageKeepsItsValue() {
        byte[] data = new byte[6 * 9];
        java.util.Arrays.fill(data, (byte) 100);
        Row img = RowFactory.create("", 6, 9, 1, 0, data);
        Dataset<Row> df = spark().createDataFrame(List.of(RowFactory.create(img)),
                new StructType().add("image", ImageSchema.columnSchema()));
        float[] t = tensor(new ImageTensorizer().setImageSize(4).transform(df).first(), "tensor");
        assertEquals(16, t.length);
        for (float v : t) {
            assertEquals(px(100), v, TOL);
        }
    }

    @Test
    void arraysAndVectorsMapTheirRangeToMinusOneOne() {
        StructType schema = new StructType().add("v", new org.apache.spark.ml.linalg.VectorUDT())
                .add("a", DataTypes.createArrayType(DataTypes.DoubleType));
        Dataset<Row> df = spark().createDataFrame(List.of(RowFactory.create(Vectors.dense(0, 255, 51, 102),
                List.of(-1.0, 1.0, 0.5, 0.0))), schema);
        Row r = new ImageTensorizer().setInputCol("v").setImageSize(2).setInputMax(255).transform(df).first();
        assertArrayEquals(new float[] {-1f, 1f, -0.6f, -0.2f}, tensor(r, "tensor"), TOL);
        Row r2 = new ImageTensorizer().setInputCol("a").setImageSize(2).setInputMin(-1).setInputMax(1)
                .transform(df).first();
        assertArrayEquals(new float[] {-1f, 1f, 0.5f, 0f}, tensor(r2, "tensor"), 0f);
    }

    @Test
    void handleInvalidErrorSkipKeep() {
        StructType schema = new StructType().add("content", DataTypes.BinaryType);
        Dataset<Row> df = spark().createDataFrame(List.of(RowFactory.create((Object) new byte[] {1, 2, 3}),
                RowFactory.create((Object) null)), schema);
        ImageTensorizer t = new ImageTensorizer().setInputCol("content").setImageSize(2);
        var e = assertThrows(Exception.class, () -> t.transform(df).collect());
        assertTrue(rootMessage(e).contains("not a PNG or JPEG"), rootMessage(e));
        assertEquals(0, t.setHandleInvalid("skip").transform(df).count());
        List<Row> kept = t.setHandleInvalid("keep").transform(df).collectAsList();
        assertEquals(2, kept.size());
        assertNull(kept.get(0).get(1));
    }

    @Test
    void schemaIsCheckedBeforeAnyWork() {
        StructType schema = new StructType().add("x", DataTypes.StringType);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new ImageTensorizer().setInputCol("x").transformSchema(schema));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("string"), e.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> new ImageTensorizer().transformSchema(schema));
        assertTrue(missing.getMessage().contains("not a column"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ImageTensorizer().setHandleInvalid("ignore"));
    }

    @Test
    void standardChecks(@TempDir Path dir) {
        ImageTensorizer t = new ImageTensorizer().setImageChannels(3).setImageSize(16).setHandleInvalid("skip")
                .setInputShape(new int[] {1, 4, 4});
        StageChecks.checkParams(t, Set.of());
        StageChecks.checkCopyAndUid(t, t.imageSize(), 32);
        StageChecks.saveAndLoad(t, dir.resolve("t").toString(), ImageTensorizer::load);
    }

    static String rootMessage(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" | ");
        }
        return sb.toString();
    }
}
