package io.sparkdiffusion.spark;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Point 5 of the fault issue: a saved model whose files were truncated, altered or written by a newer format
 * is refused with an error naming the file and the problem; loading reads bytes as floats and text, never as
 * Java objects. Files are altered the way a broken copy or a disk would (Hadoop's {@code .crc} side files are
 * removed, since a copy made by other tools has none, so the format's own SHA-256 must catch it).
 */
class ModelFilesTest extends SparkTestBase {
    private static final int FUZZ_CASES = 24;
    private static Path saved;
    private static DiffusionModel original;

    @BeforeAll
    static void saveOneModel(@TempDir Path dir) throws IOException {
        original = DiffusionTrainerTest.tinyTrainer().setNumRounds(1).fit(TinyData.frame(4, 8, 1, 1, 5));
        saved = dir.resolve("model");
        original.write().save(saved.toString());
    }

    /** A fresh copy of the saved model without .crc side files. */
    private static Path copy(Path dir) throws IOException {
        Path out = dir.resolve("copy");
        try (Stream<Path> files = Files.walk(saved)) {
            for (Path p : files.toList()) {
                Path target = out.resolve(saved.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().endsWith(".crc")) {
                    Files.copy(p, target);
                }
            }
        }
        return out;
    }

    private static String loadError(Path model) {
        RuntimeException e = assertThrows(RuntimeException.class, () -> DiffusionModel.load(model.toString()));
        return ImageTensorizerTest.rootMessage(e);
    }

    @Test
    void anUntouchedCopyLoadsToTheSameWeights(@TempDir Path dir) throws IOException {
        DiffusionModel m = DiffusionModel.load(copy(dir).toString());
        assertArrayEquals(original.weights(), m.weights());
        assertArrayEquals(original.emaWeights(), m.emaWeights());
    }

    @Test
    void aTruncatedWeightsFileIsRefusedByName(@TempDir Path dir) throws IOException {
        Path m = copy(dir);
        Path chunk = m.resolve("data/weights-00000.bin");
        Files.write(chunk, Arrays.copyOf(Files.readAllBytes(chunk), 1000));
        String msg = loadError(m);
        assertTrue(msg.contains("weights-00000.bin") && msg.contains("truncated"), msg);
    }

    @Test
    void oneAlteredByteFailsTheChecksumByName(@TempDir Path dir) throws IOException {
        Path m = copy(dir);
        Path chunk = m.resolve("data/ema-00000.bin");
        byte[] b = Files.readAllBytes(chunk);
        b[b.length / 2] ^= 0x10;
        Files.write(chunk, b);
        String msg = loadError(m);
        assertTrue(msg.contains("ema-00000.bin") && msg.contains("SHA-256"), msg);
    }

    @Test
    void extraBytesAreRefused(@TempDir Path dir) throws IOException {
        Path m = copy(dir);
        Path chunk = m.resolve("data/weights-00000.bin");
        Files.write(chunk, new byte[] {0, 0, 0, 0}, java.nio.file.StandardOpenOption.APPEND);
        String msg = loadError(m);
        assertTrue(msg.contains("weights-00000.bin"), msg);
    }

    @Test
    void aMissingManifestMeansAnUnfinishedWrite(@TempDir Path dir) throws IOException {
        Path m = copy(dir);
        Files.delete(m.resolve("data/manifest.txt"));
        String msg = loadError(m);
        assertTrue(msg.contains("manifest.txt is missing") && msg.contains("did not finish"), msg);
    }

    @Test
    void newerFormatVersionsAreRefusedByName(@TempDir Path dir) throws IOException {
        Path m = copy(dir);
        Path manifest = m.resolve("data/manifest.txt");
        Files.writeString(manifest, Files.readString(manifest).replace("version 1", "version 2"));
        String msg = loadError(m);
        assertTrue(msg.contains("newer format version 2") && msg.contains("upgrade spark-diffusion"), msg);

        Path m2 = copy(dir.resolve("second"));
        Path props = m2.resolve("data/network.properties");
        Files.writeString(props, Files.readString(props).replace("formatVersion=1", "formatVersion=3"));
        msg = loadError(m2);
        assertTrue(msg.contains("newer format version 3"), msg);
    }

    /** The file as a model saved before {@code entriesSha256} has it (each entry's own check then speaks). */
    static String withoutChecksum(String networkProperties) {
        return networkProperties.replaceAll("(?m)^entriesSha256=.*\\R", "");
    }

    /**
     * {@code data/network.properties} carries the SHA-256 of its entries, written out here from the model's network
     * as the documented form (one {@code key=value} line per entry in key order, UTF-8): an entry changed to another
     * valid network, or a changed checksum, is refused naming the file; the comment, the timestamp and the order of
     * the lines do not count.
     */
    @Test
    void networkEntriesAreCoveredByTheirChecksum(@TempDir Path dir) throws Exception {
        var c = original.networkConfig();
        String entries = "attnResolutions=" + join(c.attnResolutions()) + "\nchannelMult=" + join(c.channelMult())
                + "\ndropout=" + c.dropout() + "\nformatVersion=1\nimgChannels=" + c.imgChannels()
                + "\nimgResolution=" + c.imgResolution() + "\nlabelScale=" + c.labelScale() + "\nmodelChannels="
                + c.modelChannels() + "\nnumClasses=" + c.numClasses() + "\nnumResBlocks=" + c.numResBlocks() + "\n";
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(entries.getBytes(StandardCharsets.UTF_8)));
        String text = Files.readString(saved.resolve("data/network.properties"));
        assertTrue(text.contains("\nentriesSha256=" + sha + "\n"), "expected entriesSha256=" + sha + " in " + text);

        String otherSha = (sha.charAt(0) == '0' ? "1" : "0") + sha.substring(1);
        String[][] changes = {
                {"labelScale=1.0", "labelScale=2.0"},
                {"dropout=0.0", "dropout=0.5"},
                {"numClasses=" + c.numClasses(), "numClasses=" + (c.numClasses() + 1)},
                {"entriesSha256=" + sha, "entriesSha256=" + otherSha},
        };
        for (int i = 0; i < changes.length; i++) {
            Path m = copy(dir.resolve("case" + i));
            Path props = m.resolve("data/network.properties");
            assertTrue(text.contains(changes[i][0]), changes[i][0] + " in " + text);
            Files.writeString(props, text.replace(changes[i][0], changes[i][1]));
            String msg = loadError(m);
            assertTrue(msg.contains(m + "/data/network.properties was changed after it was saved")
                    && msg.contains("restore the file"), msg);
            // Without the checksum (a model saved before it), the same change loads as another network.
            Files.writeString(props, withoutChecksum(text.replace(changes[i][0], changes[i][1])));
            if (i < 2) {
                assertFalse(c.equals(DiffusionModel.load(m.toString()).networkConfig()), changes[i][1]);
            }
        }

        Path m = copy(dir.resolve("reordered"));
        List<String> lines = new java.util.ArrayList<>(text.lines().filter(l -> !l.startsWith("#")).toList());
        java.util.Collections.reverse(lines);
        Files.writeString(m.resolve("data/network.properties"), "# copied by hand\n" + String.join("\n", lines));
        DiffusionModel loaded = DiffusionModel.load(m.toString());
        assertEquals(c, loaded.networkConfig());
        assertArrayEquals(original.weights(), loaded.weights());
    }

    private static String join(int[] a) {
        return String.join(",", Arrays.stream(a).mapToObj(Integer::toString).toList());
    }

    @Test
    void badNetworkEntriesAreRefusedByKey(@TempDir Path dir) throws IOException {
        String[][] cases = {
                {"labelScale=1.0", "labelScale=abc", "network.properties has labelScale = 'abc', not a number"},
                {"labelScale=1.0", "labelScale=0", "describes no valid network: labelScale must be a finite number > 0"},
                {"dropout=0.0", "dropout=x", "network.properties has dropout = 'x', not a number"},
                {"numResBlocks=1", "numResBlocks=1x", "network.properties has numResBlocks = '1x', not an integer"},
                {"channelMult=1,2", "channelMult=1,z", "channelMult = '1,z', not a comma-separated list of integers"},
        };
        for (int i = 0; i < cases.length; i++) {
            Path m = copy(dir.resolve("case" + i));
            Path props = m.resolve("data/network.properties");
            String text = Files.readString(props);
            assertTrue(text.contains(cases[i][0]), "the saved model has " + cases[i][0] + ": " + text);
            Files.writeString(props, withoutChecksum(text.replace(cases[i][0], cases[i][1])));
            String msg = loadError(m);
            assertTrue(msg.contains(cases[i][2]) && msg.contains(m.toString()), msg);
        }
        // A model saved before labelScale existed (and before the checksum) loads with plain one-hot labels.
        Path m = copy(dir.resolve("old"));
        Path props = m.resolve("data/network.properties");
        Files.writeString(props, withoutChecksum(Files.readString(props).replace("labelScale=1.0", "")));
        assertEquals(1f, DiffusionModel.load(m.toString()).networkConfig().labelScale());
    }

    @Test
    void anotherStagesDirectoryIsRefused(@TempDir Path dir) throws IOException {
        Path t = dir.resolve("trainer");
        DiffusionTrainerTest.tinyTrainer().write().save(t.toString());
        String msg = loadError(t);
        assertTrue(msg.contains(DiffusionTrainer.class.getName()) || msg.contains("DiffusionTrainer"), msg);
    }

    /** A class whose deserialization would be noticed: loading must never get that far. */
    static final class Tripwire implements Serializable {
        private static final long serialVersionUID = 1L;
        static volatile boolean triggered;

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            triggered = true;
        }
    }

    /**
     * Serialized Java objects in place of every data file, with a manifest that matches them (length and
     * SHA-256), so that the format checks pass: the bytes are read as floats and text, and nothing is deserialized.
     */
    @Test
    void loadingNeverDeserializesJavaObjects(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new Tripwire());
        }
        byte[] object = bytes.toByteArray();
        // Sanity check of the tripwire itself: deserializing it is noticed.
        try (ObjectInputStream in = new ObjectInputStream(new java.io.ByteArrayInputStream(object))) {
            in.readObject();
        }
        assertTrue(Tripwire.triggered);
        Tripwire.triggered = false;

        Path m = copy(dir);
        Path chunk = m.resolve("data/ema-00000.bin");
        byte[] planted = Arrays.copyOf(object, (int) Files.size(chunk)); // same length, object stream first
        Files.write(chunk, planted);
        Path manifest = m.resolve("data/manifest.txt");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(planted));
        List<String> lines = Files.readAllLines(manifest, StandardCharsets.UTF_8).stream()
                .map(l -> l.startsWith("chunk ema 0 ") ? l.substring(0, l.lastIndexOf(' ') + 1) + sha : l).toList();
        Files.write(manifest, lines, StandardCharsets.UTF_8);
        DiffusionModel m1 = DiffusionModel.load(m.toString());
        assertArrayEquals(original.weights(), m1.weights(), "the untouched array is intact");
        assertFalse(Arrays.equals(original.emaWeights(), m1.emaWeights()), "the planted bytes became floats");
        assertFalse(Tripwire.triggered, "no Java deserialization of file contents");

        Files.write(m.resolve("data/network.properties"), object);
        String msg = loadError(m);
        assertTrue(msg.contains("network.properties"), msg);
        assertFalse(Tripwire.triggered, "no Java deserialization of file contents");
    }

    /**
     * Random single-byte changes anywhere in the model's files: each load either fails with an error or gives
     * exactly the original weights and network (a change in a comment or a Param's text), never different ones.
     */
    @Test
    void randomByteChangesNeverLoadAnotherModel(@TempDir Path dir) throws IOException {
        SplittableRandom r = new SplittableRandom(41);
        int refused = 0;
        for (int i = 0; i < FUZZ_CASES; i++) {
            Path m = copy(dir.resolve("case" + i));
            List<Path> files;
            try (Stream<Path> s = Files.walk(m)) {
                files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("_"))
                        .sorted().toList();
            }
            Path f = files.get(r.nextInt(files.size()));
            byte[] b = Files.readAllBytes(f);
            if (b.length == 0) {
                continue;
            }
            int at = r.nextInt(b.length);
            b[at] = (byte) (b[at] ^ (1 + r.nextInt(255)));
            Files.write(f, b);
            DiffusionModel loaded;
            try {
                loaded = DiffusionModel.load(m.toString());
            } catch (Exception e) { // Spark rethrows Jackson's checked parse errors unchecked
                assertTrue(e.getMessage() != null && e.getMessage().contains(m.toString()),
                        "the error names the model: " + e);
                refused++;
                continue;
            }
            assertArrayEquals(original.weights(), loaded.weights(), "changed byte " + at + " of " + f);
            assertArrayEquals(original.emaWeights(), loaded.emaWeights(), "changed byte " + at + " of " + f);
            assertEquals(original.networkConfig(), loaded.networkConfig(), "changed byte " + at + " of " + f);
        }
        assertTrue(refused > FUZZ_CASES / 2, "most changes hit checked bytes: " + refused + " refused");
    }

    @Test
    void aModelWithNonFiniteWeightsIsNeverSaved(@TempDir Path dir) {
        float[] w = original.weights();
        w[5] = Float.NaN;
        DiffusionModel bad = new DiffusionModel(original.uid(), original.networkConfig(), w, original.emaWeights(), null);
        RuntimeException e = assertThrows(RuntimeException.class, () -> bad.write().save(dir.resolve("bad").toString()));
        assertTrue(ImageTensorizerTest.rootMessage(e).contains("NaN"), ImageTensorizerTest.rootMessage(e));
        assertFalse(Files.exists(dir.resolve("bad/data/manifest.txt")), "no weights were written");
    }
}
