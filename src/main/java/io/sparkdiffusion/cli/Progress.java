package io.sparkdiffusion.cli;

import io.sparkdiffusion.train.RoundListener;
import io.sparkdiffusion.train.RoundRecord;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints one line per training round and keeps the records for {@code metrics.jsonl}:
 * <pre>round   3/20  images      3,072  loss 0.1234  412.5 img/s  left 0:01:23</pre>
 * Time left is the mean wall time of the rounds this run has finished, times the rounds still to go.
 */
final class Progress implements RoundListener {
    private static final long serialVersionUID = 1L;

    private final transient PrintStream out;
    private final List<RoundRecord> records = new ArrayList<>();

    Progress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onRound(RoundRecord record, int plannedRounds) {
        records.add(record);
        out.println(line(record, plannedRounds, records));
        out.flush();
    }

    /** The rounds seen so far, in order. */
    List<RoundRecord> records() {
        return List.copyOf(records);
    }

    static String line(RoundRecord r, int plannedRounds, List<RoundRecord> soFar) {
        long nanos = soFar.stream().mapToLong(RoundRecord::totalNanos).sum();
        int left = plannedRounds - (r.round() + 1);
        long leftNanos = soFar.isEmpty() ? 0 : nanos / soFar.size() * left;
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
