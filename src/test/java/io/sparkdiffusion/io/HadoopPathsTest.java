package io.sparkdiffusion.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HadoopPathsTest {
    private static final Configuration CONF = new Configuration();

    @Test
    void aPathWithoutSchemeIsLocalAndQualified() throws IOException {
        HadoopPath p = HadoopPaths.resolve("runs/out", CONF);
        assertEquals("file", p.scheme());
        assertEquals(Path.of("runs/out").toAbsolutePath().toUri().getPath().replaceAll("/$", ""),
                p.path().toUri().getPath());
        assertInstanceOf(RawLocalFileSystem.class, p.fs(), "no .crc side files");
        assertFalse(HadoopPaths.isObjectStore(p));
    }

    @Test
    void childAppendsAName() throws IOException {
        HadoopPath p = HadoopPaths.resolve("file:///tmp/a", CONF).child("b.png");
        assertEquals("file:/tmp/a/b.png", p.toString());
    }

    @Test
    void anUnknownSchemeIsNamed() {
        IOException e = assertThrows(IOException.class, () -> HadoopPaths.resolve("nosuch://host/x", CONF));
        assertTrue(e.getMessage().contains("nosuch://host/x"), e.getMessage());
    }

    @Test
    void aMissingFileIsNamed() throws IOException {
        HadoopPath p = HadoopPaths.resolve("file:///no/such/file.json", CONF);
        FileNotFoundException e = assertThrows(FileNotFoundException.class, p::readAllBytes);
        assertTrue(e.getMessage().contains("/no/such/file.json"), e.getMessage());
    }

    @Test
    void blankIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> HadoopPaths.resolve(" ", CONF));
    }
}
