package io.sparkdiffusion.cli;

import io.sparkdiffusion.io.Idx;
import io.sparkdiffusion.io.IdxArray;
import io.sparkdiffusion.spark.DiffusionModel;
import io.sparkdiffusion.spark.DiffusionTrainer;
import io.sparkdiffusion.spark.ImageTensorizer;
import io.sparkdiffusion.spark.SparkTestBase;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data read once: an image folder is listed on the driver and each file opened once per fit, by the task of its
 * contiguous slice; IDX tasks read only their slice; a Parquet table of the same images trains the same weights.
 * Reads are counted by {@link CountingFileSystem} (the tasks of the embedded Spark run in this JVM).
 */
class TrainingDataTest extends SparkTestBase {
    private static final int SIZE = 8;

    @BeforeAll
    static void registerCountingFileSystem() {
        CountingFileSystem.register(spark().sparkContext().hadoopConfiguration());
    }

    /**
     * 10 seeded RGB PNGs: a/00..a/03 (label 0), b/04..b/09 (label 1), a README that is not an image and a copy in
     * a hidden folder that is not training data.
     */
    private static List<Path> imageFolder(Path dir) throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    img.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            Path f = dir.resolve(i < 4 ? "a" : "b").resolve(String.format("%02d.png", i));
            Files.createDirectories(f.getParent());
            ImageIO.write(img, "png", f.toFile());
            files.add(f);
        }
        Files.writeString(dir.resolve("README.txt"), "not an image");
        Files.createDirectories(dir.resolve("a/.ipynb_checkpoints"));
        Files.write(dir.resolve("a/.ipynb_checkpoints/00.png"), Files.readAllBytes(files.get(0)));
        return files;
    }

    private static TrainSettings settings(String data, DataFormat format) {
        return new TrainSettings(data, format, 0, "unused", false, 8, 4, 0);
    }

    private static ImageTensorizer tensorizer() {
        return new ImageTensorizer().setImageChannels(3).setImageSize(SIZE);
    }

    private static DiffusionTrainer trainer() {
        return new DiffusionTrainer().setImageChannels(3).setImageSize(SIZE).setModelChannels(4)
                .setChannelMult(new int[] {1, 2}).setNumResBlocks(1).setBatchSize(2).setLocalSteps(2).setNumRounds(1)
                .setWarmupSteps(1).setSeed(3).setDropout(0);
    }

    private static DiffusionModel fit(TrainingData.Loaded data, ImageTensorizer tensorizer) {
        return trainer().setInputCol(tensorizer.getOutputCol()).fit(tensorizer.transform(data.frame()));
    }

    @Test
    void anImageFolderIsListedOnceAndEachFileOpenedOncePerFit(@TempDir Path dir) throws IOException {
        List<Path> files = imageFolder(dir);
        CountingFileSystem.reset();
        ImageTensorizer tensorizer = tensorizer();
        TrainingData.Loaded data = TrainingData.load(spark(), settings(CountingFileSystem.uri(dir), DataFormat.IMAGES),
                spark().sparkContext().hadoopConfiguration(), tensorizer, 3);
        assertEquals(10, data.count(), "counted from the listing");
        assertEquals(List.of("a", "b"), data.classNames());
        for (Path f : files) {
            assertEquals(0, CountingFileSystem.opens(f), "the driver lists, it does not open " + f);
        }
        fit(data, tensorizer);
        for (Path f : files) {
            assertEquals(1, CountingFileSystem.opens(f), "one fit opens (and so decodes) " + f + " once");
        }
        assertEquals(0, CountingFileSystem.opens(dir.resolve("README.txt")));
        assertEquals(0, CountingFileSystem.opens(dir.resolve("a/.ipynb_checkpoints/00.png")), "hidden folder");

        // Contiguous slices of the sorted files: floor(p * 10 / 3) = 0, 3, 6, 10.
        List<List<Row>> parts = data.frame().select("path", TrainingData.LABEL).javaRDD().glom().collect();
        List<List<String>> names = parts.stream().map(p -> p.stream()
                .map(row -> row.getString(0).substring(row.getString(0).length() - 8)).toList()).toList();
        assertEquals(List.of(List.of("a/00.png", "a/01.png", "a/02.png"), List.of("a/03.png", "b/04.png", "b/05.png"),
                List.of("b/06.png", "b/07.png", "b/08.png", "b/09.png")), names);
        assertEquals(List.of(0, 0, 0, 0, 1, 1, 1, 1, 1, 1), parts.stream().flatMap(List::stream)
                .map(row -> row.getInt(1)).toList());
    }

    /** An uncompressed IDX file of 10 images of 4 x 4 in 3 partitions: each task reads its header and its slice. */
    @Test
    void idxTasksReadOnlyTheirOwnSlice(@TempDir Path dir) throws IOException {
        byte[] pixels = new byte[10 * 16];
        byte[] labels = new byte[10];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 7);
        }
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) (i % 3);
        }
        Path images = dir.resolve(TrainingData.IDX_IMAGES[1]);
        try (OutputStream out = Files.newOutputStream(images)) {
            Idx.write(new IdxArray(new int[] {10, 4, 4}, pixels), out, false);
        }
        try (OutputStream out = Files.newOutputStream(dir.resolve(TrainingData.IDX_LABELS[1]))) {
            Idx.write(new IdxArray(new int[] {10}, labels), out, false);
        }
        CountingFileSystem.reset();
        TrainingData.Loaded data = TrainingData.load(spark(), settings(CountingFileSystem.uri(dir), DataFormat.IDX),
                spark().sparkContext().hadoopConfiguration(), new ImageTensorizer().setImageSize(4), 3);
        List<List<Row>> parts = data.frame().javaRDD().glom().collect();
        assertEquals(List.of(3, 3, 4), parts.stream().map(List::size).toList());
        int i = 0;
        for (List<Row> part : parts) {
            for (Row row : part) {
                List<Float> values = row.getList(0);
                for (int k = 0; k < 16; k++) {
                    assertEquals(pixels[i * 16 + k] & 0xFF, values.get(k).intValue(), "image " + i + " pixel " + k);
                }
                assertEquals(labels[i], row.getInt(1));
                i++;
            }
        }
        assertEquals(10, i);
        // The header is 16 bytes (magic, 3 dims); the driver reads it, each of 3 tasks reads it and its slice.
        assertEquals(4, CountingFileSystem.opens(images));
        assertEquals(16 + 3 * 16 + 160, CountingFileSystem.bytes(images));
    }

    /**
     * The folder's PNG bytes as a Parquet table (binary column 'image', integer 'label') in two files, rows in
     * the folder's sorted order: the same shards, so the same weights, bit for bit.
     */
    @Test
    void parquetTrainsTheSameWeightsAsTheFolder(@TempDir Path dir) throws IOException {
        List<Path> files = imageFolder(dir.resolve("folder"));
        StructType schema = new StructType().add("image", DataTypes.BinaryType).add("label", DataTypes.IntegerType)
                .add("extra", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            rows.add(RowFactory.create(Files.readAllBytes(files.get(i)), i < 4 ? 0 : 1, "x" + i));
        }
        // Two files, part-00000 with images 0..4 and part-00001 with 5..9 (Spark names them in partition order).
        Dataset<Row> df = spark().createDataFrame(
                org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark().sparkContext()).parallelize(rows, 2),
                schema);
        df.write().mode(SaveMode.Overwrite).parquet(dir.resolve("table").toString());

        ImageTensorizer fromFolder = tensorizer();
        TrainingData.Loaded folder = TrainingData.load(spark(), settings(dir.resolve("folder").toString(),
                DataFormat.IMAGES), spark().sparkContext().hadoopConfiguration(), fromFolder, 3);
        ImageTensorizer fromTable = tensorizer();
        TrainingData.Loaded table = TrainingData.load(spark(), settings(dir.resolve("table").toString(),
                DataFormat.PARQUET), spark().sparkContext().hadoopConfiguration(), fromTable, 3);
        assertEquals(10, table.count());
        assertEquals(List.of("0", "1"), table.classNames());
        List<List<Row>> a = fromFolder.transform(folder.frame()).select(fromFolder.getOutputCol(), "label")
                .javaRDD().glom().collect();
        List<List<Row>> b = fromTable.transform(table.frame()).select(fromTable.getOutputCol(), "label")
                .javaRDD().glom().collect();
        assertEquals(a, b, "the same tensors and labels in the same partitions");
        assertArrayEquals(fit(folder, fromFolder).weights(), fit(table, fromTable).weights());
    }

    @Test
    void aParquetTableWithoutAnImageColumnIsRefusedNamingItsColumns(@TempDir Path dir) {
        spark().createDataFrame(List.of(RowFactory.create(1.0)), new StructType().add("pixels", DataTypes.DoubleType))
                .write().parquet(dir.resolve("t").toString());
        var e = assertThrows(UsageException.class, () -> TrainingData.load(spark(),
                settings(dir.resolve("t").toString(), DataFormat.PARQUET), spark().sparkContext().hadoopConfiguration(),
                tensorizer(), 2));
        assertTrue(e.getMessage().contains("no column 'image'") && e.getMessage().contains("pixels"), e.getMessage());
    }
}
