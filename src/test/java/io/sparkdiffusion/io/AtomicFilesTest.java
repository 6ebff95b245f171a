package io.sparkdiffusion.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFilesTest {
    @TempDir
    java.nio.file.Path dir;

    private static final Configuration CONF = new Configuration();

    private HadoopPath local(String name) throws IOException {
        return HadoopPaths.resolve(dir.resolve(name).toUri().toString(), CONF);
    }

    private List<String> files(java.nio.file.Path d) throws IOException {
        try (Stream<java.nio.file.Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesTheFileAndNothingElse() throws IOException {
        AtomicFiles.write(local("a.png"), new byte[]{1, 2, 3});
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(dir.resolve("a.png")));
        assertEquals(List.of("a.png"), files(dir), "no temp file and no .crc side file");
    }

    @Test
    void createsMissingDirectories() throws IOException {
        AtomicFiles.writeText(local("x/y/m.json"), "{}\n");
        assertEquals("{}\n", Files.readString(dir.resolve("x/y/m.json")));
    }

    @Test
    void rewritingTheSameContentGivesTheSameFile() throws IOException {
        HadoopPath target = local("s.png");
        AtomicFiles.write(target, new byte[]{4, 5});
        AtomicFiles.write(target, new byte[]{4, 5});
        assertArrayEquals(new byte[]{4, 5}, Files.readAllBytes(dir.resolve("s.png")));
        assertEquals(List.of("s.png"), files(dir));
    }

    @Test
    void newContentReplacesTheOld() throws IOException {
        HadoopPath target = local("r.txt");
        AtomicFiles.writeText(target, "old");
        AtomicFiles.writeText(target, "new, longer");
        assertEquals("new, longer", Files.readString(dir.resolve("r.txt")));
        assertEquals(List.of("r.txt"), files(dir));
    }

    @Test
    void aFailedWriteLeavesNoFileAndNoTempFile() throws IOException {
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(local("f.png"), out -> {
            out.write(new byte[1000]);
            throw new IOException("disk on fire");
        }));
        assertEquals("disk on fire", e.getMessage());
        assertEquals(List.of(), files(dir));
    }

    @Test
    void aFailedWriteKeepsTheOldFile() throws IOException {
        HadoopPath target = local("k.txt");
        AtomicFiles.writeText(target, "complete");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, out -> {
            out.write("partial".getBytes(StandardCharsets.UTF_8));
            throw new IllegalStateException("encoder failed");
        }));
        assertEquals("complete", Files.readString(dir.resolve("k.txt")));
        assertEquals(List.of("k.txt"), files(dir));
    }

    @Test
    void tempNamesAreHiddenDotFiles() {
        assertTrue(AtomicFiles.isTempName(".a.png.0f8fad5b-d9cb-469f-a165-70867728950e.tmp"));
        assertFalse(AtomicFiles.isTempName("a.png"));
    }

    /**
     * An "s3a" file system over the local disk that fails any rename: the object-store path must publish with
     * one create, never via a temp file and a rename.
     */
    public static final class NoRenameStore extends RawLocalFileSystem {
        @Override
        public URI getUri() {
            return URI.create("s3a://bucket/");
        }

        @Override
        public String getScheme() {
            return "s3a";
        }

        @Override
        public boolean rename(Path src, Path dst) {
            throw new AssertionError("an object store write must not rename " + src + " to " + dst);
        }
    }

    private HadoopPath objectStore(String name) throws IOException {
        Configuration conf = new Configuration();
        conf.set("fs.s3a.impl", NoRenameStore.class.getName());
        conf.setBoolean("fs.s3a.impl.disable.cache", true);
        HadoopPath p = HadoopPaths.resolve("s3a://bucket" + dir.resolve(name).toAbsolutePath(), conf);
        assertTrue(HadoopPaths.isObjectStore(p));
        return p;
    }

    @Test
    void objectStoresGetOneDirectPut() throws IOException {
        AtomicFiles.write(objectStore("o.png"), new byte[]{9, 8});
        assertArrayEquals(new byte[]{9, 8}, Files.readAllBytes(dir.resolve("o.png")));
        assertEquals(List.of("o.png"), files(dir));
    }

    @Test
    void aFailedObjectStoreWriteNeverOpensTheObject() throws IOException {
        HadoopPath target = objectStore("p.png");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[10]);
            throw new IOException("encoder failed");
        }));
        assertEquals(List.of(), files(dir));
    }

    @Test
    void aDirectoryIsPublishedWholeAndReplacesAnOlderOne() throws IOException {
        HadoopPath target = local("round-000001");
        AtomicFiles.writeDirectory(target, d -> AtomicFiles.writeText(d.child("old.txt"), "old"));
        AtomicFiles.writeDirectory(target, d -> AtomicFiles.writeText(d.child("new.txt"), "new"));
        assertEquals(List.of("round-000001"), files(dir), "no temp directory left");
        assertEquals(List.of("new.txt"), files(dir.resolve("round-000001")), "the new content replaced the old");
    }

    @Test
    void aFailedDirectoryWriteLeavesNothing() throws IOException {
        HadoopPath target = local("round-000002");
        assertThrows(IOException.class, () -> AtomicFiles.writeDirectory(target, d -> {
            AtomicFiles.writeText(d.child("half.txt"), "half");
            throw new IOException("writer died");
        }));
        assertEquals(List.of(), files(dir), "neither the target nor the temp directory exists");
    }
}
