package io.sparkdiffusion.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A checkpoint records its run (partitions, data, trajectory Params); resuming another run is refused with the
 * difference named, unless forceResume. A tiny U-Net on 8 x 8 images (DiffusionTrainerTest's), two rounds
 * checkpointed, then fits that resume to round 3.
 */
class ResumeCheckTest extends SparkTestBase {
    private static final int SIZE = 8;

    private static Dataset<Row> data(long seed, int partitions) {
        return TinyData.frame(8, SIZE, 1, partitions, seed);
    }

    private static DiffusionTrainer trainer(Path ckpt, int rounds) {
        return DiffusionTrainerTest.tinyTrainer().setNumRounds(rounds).setCheckpointDir(ckpt.toString())
                .setCheckpointInterval(1);
    }

    private static String refusal(DiffusionTrainer trainer, Dataset<Row> df) {
        return assertThrows(IllegalArgumentException.class, () -> trainer.fit(df)).getMessage();
    }

    @Test
    void anotherRunIsRefusedWithItsDifferenceAndForceResumeResumes(@TempDir Path dir) {
        Path ckpt = dir.resolve("ckpt");
        Dataset<Row> df = data(3, 2);
        trainer(ckpt, 2).fit(df);

        String m = refusal(trainer(ckpt, 3), df.repartition(3));
        assertTrue(m.contains("partition count: 2 -> 3") && m.contains("forceResume"), m);
        m = refusal(trainer(ckpt, 3), data(4, 2));
        assertTrue(m.contains("training data: 8 rows") && !m.contains("partition count"), m);
        m = refusal(trainer(ckpt, 3).setLearningRate(1e-3), df);
        assertTrue(m.contains("learningRate: 0.002 -> 0.001") && !m.contains("training data"), m);
        m = refusal(trainer(ckpt, 3).setLearningRate(1e-3).setParameterization("vp"), df);
        assertTrue(m.contains("learningRate: 0.002 -> 0.001") && m.contains("parameterization: "), m);

        // numRounds, checkpointInterval and forceResume do not change what was trained: resuming is allowed.
        DiffusionModel same = trainer(ckpt, 3).setCheckpointInterval(3).fit(df);
        assertEquals(List.of(2), same.summary().rounds().stream().map(r -> r.round()).toList(),
                "resumed after round 2, trained round 3 only");
        // The straight three rounds, with nothing to resume, give the same weights (the check lets a true resume be).
        DiffusionModel straight = trainer(dir.resolve("other"), 3).fit(df);
        assertArrayEquals(straight.weights(), same.weights());

        DiffusionModel forced = trainer(ckpt, 4).setLearningRate(1e-3).setForceResume(true).fit(df);
        assertEquals(1, forced.summary().rounds().size(), "forced: resumed after round 3, trained round 4 only");
    }

    /** A fit whose checkpoint is at its last round trains nothing and returns the checkpoint's weights. */
    @Test
    void aCheckpointAtTheLastRoundReturnsItsModel(@TempDir Path dir) {
        Path ckpt = dir.resolve("ckpt");
        Dataset<Row> df = data(5, 2);
        DiffusionModel trained = trainer(ckpt, 2).fit(df);
        DiffusionModel again = trainer(ckpt, 2).fit(df);
        assertTrue(again.summary().rounds().isEmpty());
        assertArrayEquals(trained.weights(), again.weights());
        assertArrayEquals(trained.emaWeights(), again.emaWeights());
    }

    /** A checkpoint from before runs were recorded is resumed (with a warning), whatever the run. */
    @Test
    void aCheckpointWithoutARecordedRunIsResumed(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("ckpt");
        Dataset<Row> df = data(6, 2);
        trainer(ckpt, 1).fit(df);
        Path props = ckpt.resolve("round-000001").resolve(Checkpoints.STATE);
        String old = Files.readAllLines(props).stream().filter(l -> !l.startsWith("fingerprint."))
                .collect(Collectors.joining("\n"));
        assertFalse(old.contains("fingerprint"));
        Files.writeString(props, old);
        Files.deleteIfExists(props.resolveSibling("." + Checkpoints.STATE + ".crc"));
        DiffusionModel resumed = trainer(ckpt, 2).setLearningRate(1e-3).fit(df.repartition(3));
        assertEquals(1, resumed.summary().rounds().size());
    }

    /** Without Spark: the comparison itself, including Params a checkpoint did not record. */
    @Test
    void differencesNameOldAndNewValues() {
        Map<String, String> params = new TreeMap<>(Map.of("learningRate", "0.002", "seed", "17"));
        RunFingerprint old = new RunFingerprint(2, 8, "aa", new TreeMap<>(params), Set.of());
        assertEquals(List.of(), old.differences(old));
        params.put("outerMomentum", "0.0");
        RunFingerprint withNew = new RunFingerprint(2, 8, "aa", new TreeMap<>(params), Set.of("outerMomentum"));
        assertEquals(List.of(), old.differences(withNew), "a Param added later, at its default, is no difference");
        params.put("outerMomentum", "0.9");
        RunFingerprint set = new RunFingerprint(2, 8, "aa", new TreeMap<>(params), Set.of());
        assertEquals(List.of("outerMomentum: (not recorded) -> 0.9"), old.differences(set));
        assertEquals(List.of("partition count: 2 -> 3", "seed: 17 -> 18"), old.differences(
                new RunFingerprint(3, 8, "bb", new TreeMap<>(Map.of("learningRate", "0.002", "seed", "18")), Set.of())));
        assertEquals(List.of("training data: 8 rows (hash aa) -> 8 rows (hash bb)"),
                old.differences(new RunFingerprint(2, 8, "bb", new TreeMap<>(Map.of("learningRate", "0.002",
                        "seed", "17")), Set.of())));
    }
}
