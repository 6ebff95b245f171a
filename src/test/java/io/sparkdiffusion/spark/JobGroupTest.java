package io.sparkdiffusion.spark;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every job of a fit runs in the trainer's job group with a description a user can read in the Spark UI; a
 * cancelled group stops the fit, and the next fit resumes from the last checkpoint to the uninterrupted weights.
 */
class JobGroupTest extends SparkTestBase {
    private static final int ROUNDS = 5;

    /** The (group, description) of every job started while it is registered. */
    private static final class Jobs extends SparkListener {
        final List<String[]> seen = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onJobStart(SparkListenerJobStart start) {
            seen.add(new String[] {start.properties().getProperty(JobGroup.GROUP_ID),
                    start.properties().getProperty(JobGroup.DESCRIPTION)});
        }
    }

    private static DiffusionTrainer trainer(int localSteps) {
        return DriverCrashTest.trainer(ROUNDS).setLocalSteps(localSteps);
    }

    @Test
    void everyRoundIsAJobOfTheTrainersGroupAndTheCallersGroupIsRestored() throws Exception {
        SparkContext sc = spark().sparkContext();
        Dataset<Row> data = DriverCrashTest.data();
        Jobs jobs = new Jobs();
        sc.addSparkListener(jobs);
        sc.setJobGroup("callers-group", "the caller's description", false);
        DiffusionTrainer trainer = trainer(2);
        try {
            trainer.fit(data);
        } finally {
            sc.listenerBus().waitUntilEmpty();
            sc.removeSparkListener(jobs);
        }
        assertEquals("callers-group", sc.getLocalProperty(JobGroup.GROUP_ID));
        assertEquals("the caller's description", sc.getLocalProperty(JobGroup.DESCRIPTION));
        sc.clearJobGroup();

        List<String> descriptions = new ArrayList<>();
        for (String[] job : jobs.seen) {
            assertEquals(trainer.uid(), job[0], "job " + job[1] + " is not in the trainer's group");
            descriptions.add(job[1]);
        }
        assertEquals("DiffusionTrainer " + trainer.uid() + ": caching the training data", descriptions.get(0));
        for (int r = 1; r <= ROUNDS; r++) {
            assertTrue(descriptions.contains("DiffusionTrainer " + trainer.uid() + ": round " + r + "/" + ROUNDS),
                    "no job for round " + r + " in " + descriptions);
        }
    }

    @Test
    void aCancelledFitResumesFromItsLastCheckpoint(@TempDir Path dir) throws Exception {
        SparkContext sc = spark().sparkContext();
        Dataset<Row> data = DriverCrashTest.data();
        // Rounds of 40 steps take a while, so the cancel reaches round 3 (or a later one) while it runs.
        DiffusionTrainer first = trainer(40).setCheckpointDir(dir.toString()).setCheckpointInterval(1);
        String cancelFrom = "DiffusionTrainer " + first.uid() + ": round 3/";
        SparkListener canceller = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                String d = start.properties().getProperty(JobGroup.DESCRIPTION);
                if (d != null && d.startsWith("DiffusionTrainer " + first.uid() + ": round ")
                        && Integer.parseInt(d.substring(d.lastIndexOf(' ') + 1, d.indexOf('/'))) >= 3) {
                    sc.cancelJobGroup(first.uid());
                }
            }
        };
        sc.addSparkListener(canceller);
        try {
            Exception e = assertThrows(Exception.class, () -> first.fit(data));
            assertTrue(String.valueOf(e.getMessage()).contains("cancel"), "not a cancellation: " + e);
        } finally {
            sc.removeSparkListener(canceller);
        }
        Path latest = dir.resolve(Checkpoints.LATEST);
        assertTrue(Files.exists(latest), "no checkpoint was left after " + cancelFrom);
        String name = Files.readString(latest, StandardCharsets.UTF_8).strip();
        int saved = Integer.parseInt(name.substring("round-".length()));
        assertTrue(saved >= 2 && saved < ROUNDS, "checkpoint " + name + " is not from the middle of the fit");

        DiffusionModel resumed = trainer(40).setCheckpointDir(dir.toString()).setCheckpointInterval(1).fit(data);
        assertNotNull(resumed.summary());
        assertEquals(saved, resumed.summary().rounds().get(0).round(), "resumed from round " + saved);
        DiffusionModel straight = trainer(40).fit(data);
        assertArrayEquals(straight.weights(), resumed.weights(), "final weights, bit for bit");
        assertArrayEquals(straight.emaWeights(), resumed.emaWeights(), "final EMA, bit for bit");
    }
}
