package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.TrainingState;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints on the local file system (no Spark): written whole or not at all, with checksums, and a crash
 * during a write (simulated by the leftovers it would leave) never costs the previous good checkpoint.
 */
class CheckpointsTest {
    private static final int N = 10;

    /** A state after {@code round} rounds whose every weight is {@code round} (so rounds are told apart). */
    private static TrainingState state(int round) {
        float[] params = new float[N];
        Arrays.fill(params, round);
        float[] ema = new float[N];
        Arrays.fill(ema, round / 2f);
        float[] adam = new float[2 * N];
        Arrays.fill(adam, round / 4f);
        return new TrainingState(params, ema, adam, Map.of(), 2 * N, 3L * round, round, 8L * round);
    }

    private static Checkpoints checkpoints(Path dir) {
        return new Checkpoints(dir.toString(), 1, new Configuration());
    }

    private static TrainingState latest(Path dir) {
        return checkpoints(dir).latest(N, true);
    }

    private static String roundDir(int round) {
        return String.format("round-%06d", round);
    }

    @Test
    void theNewestCheckpointIsResumedWithEveryCounter(@TempDir Path dir) {
        assertNull(latest(dir), "an empty directory has no checkpoint");
        checkpoints(dir).save(state(1));
        checkpoints(dir).save(state(2));
        TrainingState s = latest(dir);
        assertEquals(2, s.round());
        assertEquals(6, s.step());
        assertEquals(16, s.imagesSeen());
        assertArrayEquals(state(2).params(), s.params());
        assertArrayEquals(state(2).ema(), s.ema());
        assertArrayEquals(state(2).sharedState(), s.sharedState());
    }

    @Test
    void aSaveLeavesOnlyCompleteCheckpointsAndNoTempFiles(@TempDir Path dir) throws IOException {
        checkpoints(dir).save(state(1));
        checkpoints(dir).save(state(2));
        assertEquals(new TreeSet<>(java.util.List.of(Checkpoints.LATEST, roundDir(1), roundDir(2))), names(dir));
    }

    /** A crash between truncating LATEST and writing it leaves it empty: the newest complete checkpoint still wins. */
    @Test
    void aCrashWhileWritingLatestKeepsTheCheckpoints(@TempDir Path dir) throws IOException {
        checkpoints(dir).save(state(1));
        checkpoints(dir).save(state(2));
        Files.write(dir.resolve(Checkpoints.LATEST), new byte[0]);
        assertEquals(2, latest(dir).round());
        Files.delete(dir.resolve(Checkpoints.LATEST));
        assertEquals(2, latest(dir).round(), "LATEST is a hint; the checkpoints themselves are the truth");
    }

    /**
     * On a file system without atomic rename (or a copy made by other tools) a crash can leave a newer checkpoint
     * with a truncated chunk, or without its manifest: it is skipped for the previous good one.
     */
    @Test
    void aHalfWrittenNewerCheckpointFallsBackToThePreviousGoodOne(@TempDir Path dir) throws IOException {
        checkpoints(dir).save(state(1));
        checkpoints(dir).save(state(2));
        checkpoints(dir).save(state(3));
        Path chunk = dir.resolve(roundDir(3)).resolve("params-00000.bin");
        Files.write(chunk, Arrays.copyOf(Files.readAllBytes(chunk), 7));
        assertEquals(2, latest(dir).round(), "truncated chunk: checksum and length refuse round 3");
        Files.delete(dir.resolve(roundDir(2)).resolve("manifest.txt"));
        assertEquals(1, latest(dir).round(), "no manifest: round 2 was never finished");
    }

    /** The temp directory a killed writer leaves behind is not a checkpoint. */
    @Test
    void aKilledWritersTempDirectoryIsIgnored(@TempDir Path dir) throws IOException {
        checkpoints(dir).save(state(1));
        Path temp = Files.createDirectories(dir.resolve("." + roundDir(2) + ".0123.tmp"));
        Files.write(temp.resolve("params-00000.bin"), new byte[12]);
        assertEquals(1, latest(dir).round());
    }

    /** Divergence must be caught before a save: a NaN or infinite value never reaches a checkpoint. */
    @Test
    void aNonFiniteStateIsRefusedAndNotWritten(@TempDir Path dir) throws IOException {
        checkpoints(dir).save(state(1));
        TrainingState bad = state(2);
        bad.params()[3] = Float.NaN;
        var e = assertThrows(IllegalStateException.class, () -> checkpoints(dir).save(bad));
        assertTrue(e.getMessage().contains("round 2") && e.getMessage().contains("NaN"), e.getMessage());
        TrainingState inf = state(2);
        inf.sharedState()[0] = Float.POSITIVE_INFINITY;
        assertThrows(IllegalStateException.class, () -> checkpoints(dir).save(inf));
        assertEquals(1, latest(dir).round());
        assertEquals(new TreeSet<>(java.util.List.of(Checkpoints.LATEST, roundDir(1))), names(dir));
    }

    private static TreeSet<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
