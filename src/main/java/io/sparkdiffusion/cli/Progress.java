package io.sparkdiffusion.cli;

import io.sparkdiffusion.train.EvaluationRecord;
import io.sparkdiffusion.train.RoundListener;
import io.sparkdiffusion.train.RoundRecord;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints one line per training round and keeps the records for {@code metrics.jsonl}:
 * <pre>round   3/20  images      3,072  loss 0.1234  412.5 img/s  left 0:01:23</pre>
 * Time left is the wall time per image of the rounds this run has finished, times the images still to go, when the
 * run is planned by images (its rounds may differ in length: {@code shortRoundImages}); else the mean wall time of
 * its rounds, times the rounds still to go. A round whose
 * EMA weights were evaluated (the trainer's {@code evalInterval}) ends with the evaluation:
 * <pre>round   4/20  images      4,096  loss 0.1234  412.5 img/s  left 0:01:23  fid 123.45  acc 0.512 (eval 0:00:31)</pre>
 * (the time left counts training rounds only).
 */
final class Progress implements RoundListener {
    private static final long serialVersionUID = 1L;

    private final transient PrintStream out;
    private final long plannedImages;
    private final List<RoundRecord> records = new ArrayList<>();
    private final List<EvaluationRecord> evaluations = new ArrayList<>();

    /** Progress of a run planned by rounds. */
    Progress(PrintStream out) {
        this(out, 0);
    }

    /** Progress of a run of {@code plannedImages} images in all (0: planned by rounds). */
    Progress(PrintStream out, long plannedImages) {
        this.out = out;
        this.plannedImages = plannedImages;
    }

    @Override
    public void onRound(RoundRecord record, int plannedRounds) {
        records.add(record);
        EvaluationRecord e = evaluations.isEmpty() ? null : evaluations.get(evaluations.size() - 1);
        out.println(line(record, plannedRounds, plannedImages, records) + (e != null && e.round() == record.round() ? evaluation(e) : ""));
        out.flush();
    }

    @Override
    public void onEvaluation(EvaluationRecord evaluation) {
        evaluations.add(evaluation);
    }

    /** The evaluations seen so far, in order. */
    List<EvaluationRecord> evaluations() {
        return List.copyOf(evaluations);
    }

    /** The end of an evaluated round's line: FID, class accuracy when the model is class-conditional, time. */
    static String evaluation(EvaluationRecord e) {
        var q = e.report();
        String acc = q.perClassAccuracy() == null ? "" : String.format(Locale.ROOT, "  acc %.3f", q.classAccuracy());
        return String.format(Locale.ROOT, "  fid %.2f%s (eval %s)", q.fid(), acc, duration(e.nanos()));
    }

    /** The rounds seen so far, in order. */
    List<RoundRecord> records() {
        return List.copyOf(records);
    }

    static String line(RoundRecord r, int plannedRounds, long plannedImages, List<RoundRecord> soFar) {
        long nanos = soFar.stream().mapToLong(RoundRecord::totalNanos).sum();
        long images = soFar.stream().mapToLong(RoundRecord::images).sum();
        int left = plannedRounds - (r.round() + 1);
        long leftNanos;
        if (soFar.isEmpty() || left <= 0) {
            leftNanos = 0;
        } else if (plannedImages > 0 && images > 0) {
            leftNanos = (long) ((double) nanos / images * Math.max(0, plannedImages - r.imagesSeen()));
        } else {
            leftNanos = nanos / soFar.size() * left;
        }
        int width = String.valueOf(plannedRounds).length();
        return String.format(Locale.ROOT, "round %" + width + "d/%d  images %,10d  loss %.4f  %7.1f img/s  left %s",
                r.round() + 1, plannedRounds, r.imagesSeen(), r.loss(), r.imagesPerSecond(), duration(leftNanos));
    }

    /** {@code h:mm:ss}. */
    static String duration(long nanos) {
        long s = Math.round(nanos / 1e9);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
