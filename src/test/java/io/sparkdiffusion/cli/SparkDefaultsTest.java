package io.sparkdiffusion.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparkDefaultsTest {
    @TempDir
    Path dir;

    private SparkDefaults read(String content) throws IOException {
        Path file = dir.resolve("spark-defaults.conf");
        Files.writeString(file, content);
        return SparkDefaults.read(file);
    }

    @Test
    void parsesLikeSparkSubmit() throws IOException {
        SparkDefaults d = read("""
                # comment
                spark.executorEnv.OPENBLAS_NUM_THREADS   1
                spark.driver.memory=6g
                spark.ui.showConsoleProgress  false  \s
                not.spark.key 3
                """);
        assertEquals(Map.of("spark.executorEnv.OPENBLAS_NUM_THREADS", "1", "spark.driver.memory", "6g",
                "spark.ui.showConsoleProgress", "false"), d.settings());
        assertEquals(Map.of("spark.ui.showConsoleProgress", "false"), d.sessionSettings());
    }

    @Test
    void embeddedNotesSayWhatAppliesInstead() throws IOException {
        SparkDefaults d = read("spark.driver.memory 6g\nspark.executorEnv.OPENBLAS_NUM_THREADS 1\n");
        List<String> notes = d.embeddedNotes(Map.of("OPENBLAS_NUM_THREADS", "4"), 2L << 30);
        assertEquals(2, notes.size());
        assertTrue(notes.get(0).contains("heap is 2048 MiB") && notes.get(0).contains("JAVA_OPTS=-Xmx"), notes.get(0));
        assertTrue(notes.get(1).contains("OPENBLAS_NUM_THREADS=4"), notes.get(1));
        assertEquals(1, d.embeddedNotes(Map.of("OPENBLAS_NUM_THREADS", "1"), 1L << 30).size());
        // -Xmx6g: the JVM reports about 5.75 GiB, which is the 6g asked for.
        assertEquals(List.of(), d.embeddedNotes(Map.of("OPENBLAS_NUM_THREADS", "1"), 5_900L << 20));
    }

    @Test
    void driverJavaOptionsAreNotedOnlyWhenThisJvmLacksThem() throws IOException {
        // java.base is in every JVM's boot layer; no JVM has a module of this made-up name.
        SparkDefaults loaded = read("spark.driver.extraJavaOptions --add-modules=java.base\n");
        assertEquals(List.of(), loaded.embeddedNotes(Map.of(), 1L << 30));
        SparkDefaults missing = read("spark.driver.extraJavaOptions --add-modules=java.base,no.such.module "
                + "-XX:PerMethodTrapLimit=12345 -XX:+NoSuchOption -Dsome.property=1\n");
        List<String> notes = missing.embeddedNotes(Map.of(), 1L << 30);
        assertEquals(1, notes.size());
        assertTrue(notes.get(0).contains("--add-modules=java.base,no.such.module -XX:PerMethodTrapLimit=12345 "
                + "-XX:+NoSuchOption -Dsome.property=1 has no effect") && notes.get(0).contains("JAVA_OPTS"),
                notes.get(0));
    }

    @Test
    void hotSpotOptionsAreCheckedAgainstThisJvm() throws IOException {
        // The build's test JVM runs with -XX:PerMethodTrapLimit=100000 (the pom's jdk17.opens), as submit.sh's
        // embedded run does; MaxHeapSize is -Xmx's value in bytes.
        long heap = Runtime.getRuntime().maxMemory();
        String value = java.lang.management.ManagementFactory.getPlatformMXBean(
                com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption("MaxHeapSize").getValue();
        SparkDefaults inEffect = read("spark.driver.extraJavaOptions --add-modules=jdk.incubator.vector "
                + "-XX:PerMethodTrapLimit=100000 -XX:MaxHeapSize=" + value + "\n");
        assertEquals(List.of(), inEffect.embeddedNotes(Map.of(), heap));
        assertEquals(List.of("-XX:PerMethodTrapLimit=100", "-XX:-UseCompressedOops"), SparkDefaults.optionsNotInEffect(
                "-XX:PerMethodTrapLimit=100 -XX:-UseCompressedOops"));
    }

    @Test
    void memorySizesReadLikeSpark() {
        assertEquals(6L << 30, SparkDefaults.bytes("6g"));
        assertEquals(512L << 20, SparkDefaults.bytes("512m"));
        assertEquals(512L << 20, SparkDefaults.bytes("512"));
        assertEquals(2L << 10, SparkDefaults.bytes("2KB"));
        assertEquals(-1, SparkDefaults.bytes("lots"));
    }

    @Test
    void theBundledFileSetsOneBlasThread() {
        SparkDefaults d = SparkDefaults.read(Path.of(Sessions.DEFAULTS_FILE));
        assertEquals("1", d.settings().get("spark.executorEnv.OPENBLAS_NUM_THREADS"));
    }

    @Test
    void aMissingFileIsNamed() {
        assertEquals("Spark defaults file nowhere.conf does not exist",
                assertThrows(UsageException.class, () -> SparkDefaults.read(Path.of("nowhere.conf"))).getMessage());
    }
}
