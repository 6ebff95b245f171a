package io.sparkdiffusion.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigFileTest {
    @TempDir
    Path dir;

    private String error(String content) throws IOException {
        Path file = dir.resolve("c.json");
        Files.writeString(file, content);
        return assertThrows(UsageException.class, () -> ConfigFile.read(file.toString())).getMessage();
    }

    @Test
    void readsAnObject() throws IOException {
        Path file = dir.resolve("ok.json");
        Files.writeString(file, "{\"numRounds\": 3}");
        assertEquals(3, ConfigFile.read(file.toString()).get("numRounds").intValue());
        assertEquals(3, ConfigFile.read(file.toUri().toString()).get("numRounds").intValue(), "as a file:// URI");
    }

    @Test
    void aMissingFileIsNamed() {
        String message = assertThrows(UsageException.class, () -> ConfigFile.read("conf/none.json")).getMessage();
        assertTrue(message.startsWith("config file conf/none.json does not exist"), message);
        String uri = dir.resolve("none.json").toUri().toString();
        message = assertThrows(UsageException.class, () -> ConfigFile.read(uri)).getMessage();
        assertTrue(message.startsWith("config file " + uri + " does not exist"), message);
    }

    @Test
    void aDirectoryIsNotAConfig() {
        String message = assertThrows(UsageException.class, () -> ConfigFile.read(dir.toString())).getMessage();
        assertTrue(message.contains("(it is a directory)"), message);
    }

    @Test
    void badJsonIsNamedWithItsLine() throws IOException {
        String message = error("{\n  \"numRounds\": 3,\n  \"seed\" 1\n}");
        assertTrue(message.contains("c.json is not valid JSON at line 3"), message);
    }

    @Test
    void theTopLevelMustBeAnObject() throws IOException {
        assertTrue(error("[1, 2]").endsWith("must hold a JSON object {\"key\": value, ...}, got array"));
        assertTrue(error("").endsWith("got nothing"), error(""));
    }

    @Test
    void duplicateKeysAreAnError() throws IOException {
        String message = error("{\"seed\": 1, \"seed\": 2}");
        assertTrue(message.contains("not valid JSON") && message.contains("seed"), message);
    }
}
