package io.sparkdiffusion.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightsFormatTest {

    private static Map<String, float[]> arrays() {
        Map<String, float[]> m = new LinkedHashMap<>();
        float[] a = new float[10];
        for (int i = 0; i < a.length; i++) {
            a[i] = i * 0.5f - 1;
        }
        m.put("params", a);
        m.put("ema", new float[] {Float.NaN, -0f, Float.MAX_VALUE});
        m.put("empty", new float[0]);
        return m;
    }

    @Test
    void roundTripInSmallChunks(@TempDir Path dir) throws IOException {
        WeightsFormat.write(BlobStore.directory(dir), arrays(), 4);
        assertTrue(Files.exists(dir.resolve("params-00002.bin")), "10 floats in chunks of 4 make 3 chunks");
        assertEquals(16, Files.size(dir.resolve("params-00000.bin")));
        Map<String, float[]> back = WeightsFormat.read(BlobStore.directory(dir));
        assertEquals(List.of("params", "ema", "empty"), List.copyOf(back.keySet()));
        arrays().forEach((k, v) -> assertArrayEquals(v, back.get(k), k));
    }

    @Test
    void filesAreLittleEndianFloats(@TempDir Path dir) throws IOException {
        WeightsFormat.write(BlobStore.directory(dir), Map.of("x", new float[] {1f}));
        // 1.0f is 0x3F800000: little-endian bytes 00 00 80 3F.
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F}, Files.readAllBytes(dir.resolve("x-00000.bin")));
    }

    @Test
    void truncatedChunkIsRefused(@TempDir Path dir) throws IOException {
        WeightsFormat.write(BlobStore.directory(dir), arrays(), 4);
        Path chunk = dir.resolve("params-00001.bin");
        byte[] bytes = Files.readAllBytes(chunk);
        Files.write(chunk, java.util.Arrays.copyOf(bytes, bytes.length - 3));
        var e = assertThrows(IOException.class, () -> WeightsFormat.read(BlobStore.directory(dir)));
        assertTrue(e.getMessage().contains("params-00001.bin") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void alteredChunkFailsItsChecksum(@TempDir Path dir) throws IOException {
        WeightsFormat.write(BlobStore.directory(dir), arrays(), 4);
        Path chunk = dir.resolve("params-00000.bin");
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[5] ^= 1;
        Files.write(chunk, bytes);
        var e = assertThrows(IOException.class, () -> WeightsFormat.read(BlobStore.directory(dir)));
        assertTrue(e.getMessage().contains("SHA-256") && e.getMessage().contains("params-00000.bin"), e.getMessage());
    }

    @Test
    void overlongChunkIsRefused(@TempDir Path dir) throws IOException {
        WeightsFormat.write(BlobStore.directory(dir), arrays(), 4);
        Files.write(dir.resolve("ema-00000.bin"), new byte[] {1}, StandardOpenOption.APPEND);
        var e = assertThrows(IOException.class, () -> WeightsFormat.read(BlobStore.directory(dir)));
        assertTrue(e.getMessage().contains("longer"), e.getMessage());
    }

    @Test
    void newerFormatVersionIsRefusedByName(@TempDir Path dir) throws IOException {
        WeightsFormat.write(BlobStore.directory(dir), arrays());
        Path manifest = dir.resolve(WeightsFormat.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("version 1", "version 2"));
        var e = assertThrows(IOException.class, () -> WeightsFormat.read(BlobStore.directory(dir)));
        assertTrue(e.getMessage().contains("newer format version 2"), e.getMessage());
    }

    @Test
    void missingManifestOrForeignFormatIsRefused(@TempDir Path dir) throws IOException {
        var e = assertThrows(IOException.class, () -> WeightsFormat.read(BlobStore.directory(dir)));
        assertTrue(e.getMessage().contains("manifest.txt is missing"), e.getMessage());
        Files.writeString(dir.resolve(WeightsFormat.MANIFEST), "format something-else\nversion 1\n");
        e = assertThrows(IOException.class, () -> WeightsFormat.read(BlobStore.directory(dir)));
        assertTrue(e.getMessage().contains("not a spark-diffusion-weights directory"), e.getMessage());
    }
}
