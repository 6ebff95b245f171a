package io.sparkdiffusion.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Point 2 of the fault issue: a training driver killed with SIGKILL mid-training resumes from its checkpoint
 * directory to the same final weights as an uninterrupted run, bit for bit. Bit-for-bit is the right bar: every
 * random draw is seeded from (seed, global step, partition), the checkpoint holds the exact float32 weights, EMA
 * and optimizer state plus the step counters, and the averaging sums are order-independent.
 */
public class DriverCrashTest extends SparkTestBase {
    static final int SIZE = 8;
    static final int ROUNDS = 12;
    /** The child is killed once this many rounds are checkpointed, well before it could finish. */
    static final int KILL_AFTER = 2;
    private static final long CHILD_TIMEOUT_SECONDS = 240;

    static DiffusionTrainer trainer(int rounds) {
        return new DiffusionTrainer().setImageChannels(1).setImageSize(SIZE).setModelChannels(4)
                .setChannelMult(new int[] {1, 2}).setNumResBlocks(1).setBatchSize(4).setLocalSteps(2)
                .setNumRounds(rounds).setLearningRate(2e-3).setWarmupSteps(3).setEmaHalfLifeImages(20).setSeed(23);
    }

    static Dataset<Row> data() {
        return TinyData.frame(12, SIZE, 1, 2, 29);
    }

    @Test
    void aKilledDriverResumesFromItsCheckpointsToTheUninterruptedWeights(@TempDir Path dir) throws Exception {
        killResumeAndCompare(dir, "average");
    }

    /**
     * The same with DiLoCo's outer optimizer: the checkpoint also holds the outer momentum, and a resume that lost
     * or rounded it would give other weights from the next round on.
     */
    @Test
    void aKilledNesterovDriverResumesToTheUninterruptedWeights(@TempDir Path dir) throws Exception {
        killResumeAndCompare(dir, "nesterov");
    }

    private static void killResumeAndCompare(Path dir, String outerOptimizer) throws Exception {
        Path ckpt = dir.resolve("ckpt");
        Path log = dir.resolve("child.log");
        Process child = launch(CrashTrainerMain.class, log, ckpt.toString(), Integer.toString(ROUNDS), outerOptimizer);
        int killedAt;
        try {
            killedAt = waitForCheckpoint(child, ckpt, KILL_AFTER, log);
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks in the child
            child.waitFor(30, TimeUnit.SECONDS);
        }
        String childOut = Files.readString(log, StandardCharsets.UTF_8);
        assertFalse(childOut.contains(CrashTrainerMain.FINISHED), "the child was killed before it finished");
        assertTrue(killedAt < ROUNDS, "killed mid-training, after round " + killedAt);

        DiffusionModel resumed = trainer(ROUNDS).setOuterOptimizer(outerOptimizer).setCheckpointDir(ckpt.toString())
                .setCheckpointInterval(1).fit(data());
        int firstResumedRound = resumed.summary().rounds().get(0).round();
        assertTrue(firstResumedRound >= KILL_AFTER, "resumed from a checkpoint, not from scratch: first round "
                + firstResumedRound);
        assertEquals(ROUNDS - firstResumedRound, resumed.summary().rounds().size());

        DiffusionModel straight = trainer(ROUNDS).setOuterOptimizer(outerOptimizer).fit(data());
        assertArrayEquals(straight.weights(), resumed.weights(), "final weights, bit for bit");
        assertArrayEquals(straight.emaWeights(), resumed.emaWeights(), "final EMA, bit for bit");
    }

    /** Polls {@code ckpt/LATEST} until it names round {@code >= rounds}; returns that round. */
    private static int waitForCheckpoint(Process child, Path ckpt, int rounds, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_SECONDS);
        Path latest = ckpt.resolve(Checkpoints.LATEST);
        while (System.nanoTime() < deadline) {
            if (!child.isAlive()) {
                fail("the training child exited with " + child.exitValue() + " before round " + rounds + ":\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            if (Files.exists(latest)) {
                String name = Files.readString(latest, StandardCharsets.UTF_8).strip();
                if (name.startsWith("round-") && Integer.parseInt(name.substring(6)) >= rounds) {
                    return Integer.parseInt(name.substring(6));
                }
            }
            Thread.sleep(50);
        }
        fail("no checkpoint of round " + rounds + " within " + CHILD_TIMEOUT_SECONDS + " s:\n"
                + Files.readString(log, StandardCharsets.UTF_8));
        return -1;
    }

    /**
     * Starts {@code main} in a new JVM with this JVM's class path and module flags (Spark's add-opens), a smaller
     * heap, and output to {@code log}.
     */
    public static Process launch(Class<?> main, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-XX:+IgnoreUnrecognized") || a.startsWith("-Djdk.reflect")
                    || a.startsWith("-Dio.netty") || a.startsWith("-Xss")) {
                cmd.add(a);
            }
        }
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .directory(new File(System.getProperty("user.dir"))).start();
    }
}
