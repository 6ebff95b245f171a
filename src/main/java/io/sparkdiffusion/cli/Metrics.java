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

    /**
     * The metrics of a run that may have resumed from a checkpoint: the lines of {@code previous} (an earlier
     * metrics.jsonl of the same output, or null) for the rounds before the first of {@code records}, then
     * {@code records}. A run that did not resume replaces the file.
     */
    static String merge(String previous, List<RoundRecord> records) {
        String fresh = jsonLines(records);
        if (previous == null || records.isEmpty() || records.get(0).round() == 0) {
            return records.isEmpty() && previous != null ? previous : fresh;
        }
        int firstNew = records.get(0).round() + 1;
        StringBuilder out = new StringBuilder();
        for (String line : previous.lines().filter(l -> !l.isBlank()).toList()) {
            if (parse(line).path("round").asInt() < firstNew) {
                out.append(line).append('\n');
            }
        }
        return out.append(fresh).toString();
    }

    /** The loss of each round in {@code jsonLines} against images seen, log-scale loss axis. */
    static byte[] lossCurve(String jsonLines, String title) {
        List<ObjectNode> rows = jsonLines.lines().filter(l -> !l.isBlank()).map(Metrics::parse).toList();
        double[] x = rows.stream().mapToDouble(r -> r.path("imagesSeen").asDouble()).toArray();
        double[] loss = rows.stream().mapToDouble(r -> r.path("loss").asDouble()).toArray();
        return LossPlot.png(x, loss, "images seen", "training loss (log scale)", title);
    }

    private static ObjectNode parse(String line) {
        return ConfigFile.parse(line.getBytes(java.nio.charset.StandardCharsets.UTF_8), "metrics.jsonl");
    }
}
