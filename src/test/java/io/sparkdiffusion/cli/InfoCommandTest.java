package io.sparkdiffusion.cli;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InfoCommandTest {
    @TempDir
    Path dir;

    @Test
    void printsClassParamsAndExtraMetadata() throws IOException {
        Path meta = Files.createDirectories(dir.resolve("model/metadata"));
        Files.writeString(meta.resolve("part-00000"), "{\"class\":\"io.sparkdiffusion.spark.DiffusionModel\","
                + "\"timestamp\":0,\"sparkVersion\":\"4.2.0\",\"uid\":\"DiffusionModel_abc\","
                + "\"paramMap\":{\"numSteps\":18,\"sampler\":\"heun\"},\"defaultParamMap\":{\"rho\":7.0},"
                + "\"imagesSeen\":20480}\n");
        Files.writeString(meta.resolve("_SUCCESS"), "");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        InfoCommand.print(InfoCommand.readMetadata(dir.resolve("model").toString(), new Configuration()),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("model        DiffusionModel (io.sparkdiffusion.spark.DiffusionModel)\n"), out);
        assertTrue(out.contains("saved        1970-01-01T00:00:00Z"), out);
        assertTrue(out.contains("imagesSeen               20480"), out);
        assertTrue(out.contains("settings:\n  numSteps               18\n  sampler                heun\n"), out);
        assertTrue(out.contains("defaults:\n  rho                    7.0\n"), out);
    }

    @Test
    void aDirectoryWithoutMetadataIsNamed() {
        UsageException e = assertThrows(UsageException.class,
                () -> InfoCommand.readMetadata(dir.toString(), new Configuration()));
        assertEquals("model " + dir + " has no metadata/ directory: not a saved Spark ML model", e.getMessage());
    }
}
