package io.sparkdiffusion.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkdiffusion.spark.DriverCrashTest;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user's path in separate JVMs, as submit.sh runs it: train with conf/quick.json (two rounds), then sample
 * twice with the same seeds. The files must be all there, decode as PNGs of the right size, and be byte-identical
 * across the two runs.
 */
class EndToEndTest {
    private static final int NUM_SAMPLES = 6;
    private static final int IMAGE_SIZE = 28;
    private static final long TIMEOUT_MINUTES = 10;

    @Test
    void trainSaveSampleAndRerunGiveTheSameFiles(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        exec(tmp.resolve("train.log"), "train", "conf/quick.json", "--num-rounds", "2", "--output", run.toString());
        for (String f : List.of("model", "metrics.jsonl", "loss.png", "samples.png")) {
            assertTrue(Files.exists(run.resolve(f)), "train wrote no " + f);
        }

        Path first = tmp.resolve("first");
        Path second = tmp.resolve("second");
        for (Path out : List.of(first, second)) {
            exec(tmp.resolve(out.getFileName() + ".log"), "sample", "--model", run.resolve("model").toString(),
                    "--num", String.valueOf(NUM_SAMPLES), "--seed", "100", "--out", out.toString());
        }

        List<String> names = listing(first);
        assertEquals(NUM_SAMPLES + 1, names.size(), "expected " + NUM_SAMPLES + " samples and grid.png, got " + names);
        assertEquals(names, listing(second));
        for (String name : names) {
            byte[] bytes = Files.readAllBytes(first.resolve(name));
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            assertTrue(image != null, name + " does not decode as a PNG");
            if (name.startsWith("sample-")) {
                assertEquals(IMAGE_SIZE, image.getWidth(), name);
                assertEquals(IMAGE_SIZE, image.getHeight(), name);
            } else {
                // a class-conditional grid has one row per class: seeds 100..105 are classes 0..5, one sample each
                assertTrue(image.getWidth() >= IMAGE_SIZE && image.getHeight() >= NUM_SAMPLES * IMAGE_SIZE,
                        "grid.png is " + image.getWidth() + "x" + image.getHeight() + ", too small for "
                                + NUM_SAMPLES + " rows of " + IMAGE_SIZE + "x" + IMAGE_SIZE + " samples");
            }
            assertArrayEquals(bytes, Files.readAllBytes(second.resolve(name)), name + " differs on the rerun");
        }
        for (int seed = 100; seed < 100 + NUM_SAMPLES; seed++) {
            assertTrue(names.contains(String.format("sample-%08d.png", seed)), "no file for seed " + seed + ": " + names);
        }
    }

    private static List<String> listing(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static void exec(Path log, String... args) throws Exception {
        Process p = DriverCrashTest.launch(Main.class, log, args);
        boolean finished = p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!finished) {
            p.destroyForcibly();
        }
        String output = Files.readString(log);
        assertTrue(finished, String.join(" ", args) + " did not finish in " + TIMEOUT_MINUTES + " minutes:\n" + output);
        assertEquals(0, p.exitValue(), String.join(" ", args) + " failed:\n" + output);
    }
}
