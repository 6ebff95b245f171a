package io.sparkdiffusion.cli;

import io.sparkdiffusion.metrics.QualityReport;
import io.sparkdiffusion.train.EvaluationRecord;
import io.sparkdiffusion.train.RoundRecord;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {
    private static RoundRecord round(int index, long imagesSeen, double loss) {
        // 1024 images in 2.5 s: 409.6 images per second.
        return new RoundRecord(index, 1024, imagesSeen, 2, loss, 100_000_000L, 2_000_000_000L, 3_900_000_000L,
                400_000_000L,
                2_500_000_000L);
    }

    @Test
    void oneLinePerRoundWithTimeLeft() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        progress.onRound(round(0, 1024, 0.5), 20);
        progress.onRound(round(1, 2048, 0.25), 20);
        progress.onRound(round(2, 3072, 0.1234), 20);
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3, lines.length);
        // 17 rounds left at 2.5 s each: 42.5 s, rounded to 43 s.
        assertEquals("round  3/20  images      3,072  loss 0.1234    409.6 img/s  left 0:00:43", lines[2]);
        assertEquals(3, progress.records().size());
    }

    /**
     * A run planned by images whose rounds differ in length (short rounds first): time left is the time per image so
     * far times the images to go, not the time per round times the rounds to go.
     */
    @Test
    void aRunPlannedByImagesCountsTheImagesLeft() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), 1024 * 2 + 10240);
        progress.onRound(round(0, 1024, 0.5), 3);
        progress.onRound(round(1, 2048, 0.25), 3);
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        // 2,048 images in 5 s, 10,240 to go: 25 s (by rounds it would be 2.5 s).
        assertEquals("round 2/3  images      2,048  loss 0.2500    409.6 img/s  left 0:00:25", lines[1]);
    }

    private static EvaluationRecord evaluation(int round, long imagesSeen, double fid, double accuracy) {
        return new EvaluationRecord(round, imagesSeen, 31_000_000_000L, new QualityReport(500, fid, 0.5, 0.25, 500,
                accuracy, new double[] {accuracy, accuracy}));
    }

    @Test
    void anEvaluatedRoundShowsItsFid() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        progress.onRound(round(0, 1024, 0.5), 20);
        progress.onEvaluation(evaluation(1, 2048, 123.456, 0.5));
        progress.onRound(round(1, 2048, 0.25), 20);
        progress.onRound(round(2, 3072, 0.1234), 20);
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals("round  2/20  images      2,048  loss 0.2500    409.6 img/s  left 0:00:45  fid 123.46  acc 0.500"
                + " (eval 0:00:31)", lines[1]);
        assertFalse(lines[2].contains("fid"), lines[2]);
        assertFalse(lines[0].contains("fid"), lines[0]);
        assertEquals(1, progress.evaluations().size());
    }

    @Test
    void evaluatedRoundsCarryTheirMetricsAndMakeTheQualityPlot() throws IOException {
        List<RoundRecord> rounds = List.of(round(0, 1024, 0.5), round(1, 2048, 0.25), round(2, 3072, 0.2));
        List<EvaluationRecord> evals = List.of(evaluation(1, 2048, 300, 0.25), evaluation(2, 3072, 150, 0.75));
        String lines = Metrics.jsonLines(rounds, evals);
        List<String> l = lines.lines().toList();
        assertFalse(l.get(0).contains("fid"), l.get(0));
        assertTrue(l.get(1).endsWith(",\"aggregateSeconds\":0.4,\"totalComputeSeconds\":3.9,\"evalSamples\":500,"
                + "\"fid\":300.0,\"precision\":0.5,"
                + "\"recall\":0.25,\"classAccuracy\":0.25,\"perClassAccuracy\":[0.25,0.25],\"evalSeconds\":31.0}"), l.get(1));
        assertTrue(Metrics.hasEvaluations(lines));
        assertFalse(Metrics.hasEvaluations(Metrics.jsonLines(rounds)));
        var image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(Metrics.qualityCurve(lines, "q")));
        assertEquals(800, image.getHeight(), "FID and class accuracy panels");
        var e = assertThrows(IllegalArgumentException.class, () -> Metrics.qualityCurve(Metrics.jsonLines(rounds), "q"));
        assertTrue(e.getMessage().contains("no round of the metrics carries an evaluation"), e.getMessage());
        // A resumed run keeps the evaluations of the rounds before it.
        String merged = Metrics.merge(lines, List.of(round(2, 3072, 0.19)), List.of());
        assertEquals(l.get(1), merged.lines().toList().get(1));
    }

    @Test
    void durationsAreHoursMinutesSeconds() {
        assertEquals("1:01:01", Progress.duration(3661_000_000_000L));
        assertEquals("0:00:00", Progress.duration(0));
    }

    @Test
    void metricsAreOneJsonObjectPerRound() {
        String lines = Metrics.jsonLines(List.of(round(0, 1024, 0.5), round(1, 2048, 0.25)));
        assertEquals("{\"round\":1,\"images\":1024,\"imagesSeen\":1024,\"partitions\":2,\"loss\":0.5,"
                + "\"imagesPerSecond\":409.6,\"seconds\":2.5,\"computeSeconds\":2.0,\"broadcastSeconds\":0.1,"
                + "\"aggregateSeconds\":0.4,\"totalComputeSeconds\":3.9}\n", lines.substring(0, lines.indexOf('\n') + 1));
        assertEquals(2, lines.split("\n").length);
    }

    @Test
    void aResumedRunKeepsTheEarlierRoundsOfItsMetrics() {
        String before = Metrics.jsonLines(List.of(round(0, 1024, 0.5), round(1, 2048, 0.4), round(2, 3072, 0.3)));
        // Resumed from the checkpoint after round 2 (index 1): round 3 is trained again.
        String merged = Metrics.merge(before, List.of(round(2, 3072, 0.25), round(3, 4096, 0.2)));
        List<String> lines = merged.lines().toList();
        assertEquals(4, lines.size());
        assertEquals(before.lines().toList().subList(0, 2), lines.subList(0, 2));
        assertTrue(lines.get(2).contains("\"round\":3,") && lines.get(2).contains("\"loss\":0.25"), lines.get(2));
        assertEquals(Metrics.jsonLines(List.of(round(0, 1024, 0.5))), Metrics.merge(before, List.of(round(0, 1024, 0.5))),
                "a run from round 1 replaces the file");
        assertEquals(before, Metrics.merge(before, List.of()), "nothing trained: the file stays");
    }
}
