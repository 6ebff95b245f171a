package io.sparkdiffusion.io;

import io.sparkdiffusion.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxTest {
    private static final Path IMAGES = Path.of("data/fashion-mnist/train-images-idx3-ubyte.gz");
    private static final Path LABELS = Path.of("data/fashion-mnist/train-labels-idx1-ubyte.gz");

    private static IdxArray sample() {
        byte[] data = new byte[2 * 3 * 4];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 11);
        }
        return new IdxArray(new int[]{2, 3, 4}, data);
    }

    private static IdxArray read(byte[] bytes) throws IOException {
        return Idx.read(new ByteArrayInputStream(bytes), "test.idx");
    }

    @Test
    void roundTripsPlainAndGzipped() throws IOException {
        IdxArray a = sample();
        assertEquals(a, read(Idx.toBytes(a, false)));
        assertEquals(a, read(Idx.toBytes(a, true)));
    }

    @Test
    void writesTheHeaderOfTheFormat() {
        byte[] bytes = Idx.toBytes(new IdxArray(new int[]{3}, new byte[]{7, 8, (byte) 200}), false);
        // magic 0x00000801 (unsigned byte, rank 1), count 3 big-endian, then the data.
        assertArrayEquals(new byte[]{0, 0, 8, 1, 0, 0, 0, 3, 7, 8, (byte) 200}, bytes);
    }

    @Test
    void gzippedBytesAreTheSameEveryTime() {
        assertArrayEquals(Idx.toBytes(sample(), true), Idx.toBytes(sample(), true));
    }

    @Test
    void readsTheBundledSubset() throws IOException {
        // Expected values read from the Debian package's original files with Python's gzip module.
        try (InputStream images = Files.newInputStream(IMAGES); InputStream labels = Files.newInputStream(LABELS)) {
            LabeledImages data = Idx.readLabeled(images, IMAGES.toString(), labels, LABELS.toString());
            assertArrayEquals(new int[]{10000, 28, 28}, data.images().dims());
            assertArrayEquals(new int[]{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, Arrays.copyOf(data.labels().labels(), 10));
            int[] perClass = new int[10];
            for (int label : data.labels().labels()) {
                perClass[label]++;
            }
            assertArrayEquals(new int[]{942, 1027, 1016, 1019, 974, 989, 1021, 1022, 990, 1000}, perClass);
            assertEquals(76247, byteSum(data.images(), 0));
            assertEquals(79936, byteSum(data.images(), 9999));
        }
    }

    private static int byteSum(IdxArray images, int item) {
        int sum = 0;
        for (int k = 0; k < images.itemSize(); k++) {
            sum += images.data()[item * images.itemSize() + k] & 0xFF;
        }
        return sum;
    }

    @Test
    void imageMapsBytesToMinusOneToOne() {
        IdxArray a = new IdxArray(new int[]{1, 1, 3}, new byte[]{0, 51, (byte) 255});
        Tensor image = a.image(0);
        assertEquals("[1, 1, 3]", image.shape().toString());
        assertEquals(-1f, image.get(0));
        assertEquals(51 / 127.5f - 1f, image.get(1)); // -0.6
        assertEquals(1f, image.get(2));
    }

    @Test
    void headKeepsTheFirstItems() {
        IdxArray head = sample().head(1);
        assertArrayEquals(new int[]{1, 3, 4}, head.dims());
        assertArrayEquals(Arrays.copyOf(sample().data(), 12), head.data());
    }

    @Test
    void badMagicIsNamed() {
        IOException e = assertThrows(IOException.class, () -> read(new byte[]{1, 2, 8, 1, 0, 0, 0, 1, 5}));
        assertTrue(e.getMessage().contains("test.idx") && e.getMessage().contains("not an IDX file"), e.getMessage());
    }

    @Test
    void unsupportedTypeIsNamed() {
        IOException e = assertThrows(IOException.class, () -> read(new byte[]{0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0}));
        assertTrue(e.getMessage().contains("0x0d") && e.getMessage().contains("0x08"), e.getMessage());
    }

    @Test
    void truncatedDataIsNamed() {
        byte[] full = Idx.toBytes(sample(), false);
        IOException e = assertThrows(IOException.class, () -> read(Arrays.copyOf(full, full.length - 5)));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("expected 24 bytes"), e.getMessage());
    }

    @Test
    void truncatedHeaderIsNamed() {
        IOException e = assertThrows(IOException.class, () -> read(new byte[]{0, 0, 8, 3, 0, 0, 0, 2}));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("3 dimensions"), e.getMessage());
    }

    @Test
    void truncatedGzipIsNamed() {
        byte[] full = Idx.toBytes(sample(), true);
        IOException e = assertThrows(IOException.class, () -> read(Arrays.copyOf(full, 20)));
        assertTrue(e.getMessage().contains("test.idx"), e.getMessage());
    }

    @Test
    void trailingBytesMeanTheHeaderIsWrong() {
        byte[] full = Idx.toBytes(sample(), false);
        IOException e = assertThrows(IOException.class, () -> read(Arrays.copyOf(full, full.length + 1)));
        assertTrue(e.getMessage().contains("header does not match"), e.getMessage());
    }

    @Test
    void imagesAndLabelsMustHaveTheSameCount() {
        byte[] images = Idx.toBytes(sample(), false);
        byte[] labels = Idx.toBytes(new IdxArray(new int[]{3}, new byte[3]), false);
        IOException e = assertThrows(IOException.class, () -> Idx.readLabeled(new ByteArrayInputStream(images), "img",
                new ByteArrayInputStream(labels), "lbl"));
        assertTrue(e.getMessage().contains("dims mismatch") && e.getMessage().contains("2 images")
                && e.getMessage().contains("3 labels"), e.getMessage());
    }

    @Test
    void labelsMustBeRankOne() {
        byte[] images = Idx.toBytes(sample(), false);
        IOException e = assertThrows(IOException.class, () -> Idx.readLabeled(new ByteArrayInputStream(images), "img",
                new ByteArrayInputStream(images), "lbl"));
        assertTrue(e.getMessage().startsWith("lbl: expected a label file with dims [N]"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Idx.read(Path.of("no/such.idx.gz")));
        assertTrue(e.getMessage().contains("no/such.idx.gz"), e.getMessage());
    }

    @Test
    void dimsMustMatchTheData() {
        assertThrows(IllegalArgumentException.class, () -> new IdxArray(new int[]{2, 2}, new byte[3]));
    }
}
