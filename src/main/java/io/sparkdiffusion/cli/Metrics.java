package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.LossPlot;
import io.sparkdiffusion.train.RoundRecord;

import java.util.List;

/** The per-round metrics of a run as JSON lines, and its loss curve. */
final class Metrics {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Metrics() {
    }

    /**
     * One JSON object per round, in order: {@code round} (from 1), {@code images} (this round),
     * {@code imagesSeen}, {@code partitions}, {@code loss}, {@code imagesPerSecond}, and the round's wall time split
     * into {@code seconds}, {@code computeSeconds} (slowest partition's local steps), {@code broadcastSeconds}
     * and {@code aggregateSeconds}.
     */
    static String jsonLines(List<RoundRecord> records) {
        StringBuilder out = new StringBuilder();
        for (RoundRecord r : records) {
            ObjectNode o = JSON.createObjectNode();
            o.put("round", r.round() + 1);
            o.put("images", r.images());
            o.put("imagesSeen", r.imagesSeen());
            o.put("partitions", r.partitions());
            o.put("loss", r.loss());
            o.put("imagesPerSecond", r.imagesPerSecond());
            o.put("seconds", r.totalNanos() / 1e9);
            o.put("computeSeconds", r.computeNanos() / 1e9);
            o.put("broadcastSeconds", r.broadcastNanos() / 1e9);
            o.put("aggregateSeconds", r.aggregateNanos() / 1e9);
            out.append(o).append('\n');
        }
        return out.toString();
    }

    /** The loss of each round against images seen, log-scale loss axis. */
    static byte[] lossCurve(List<RoundRecord> records, String title) {
        double[] x = records.stream().mapToDouble(RoundRecord::imagesSeen).toArray();
        double[] loss = records.stream().mapToDouble(RoundRecord::loss).toArray();
        return LossPlot.png(x, loss, "images seen", "training loss (log scale)", title);
    }
}
