package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.LossPlot;
import io.sparkdiffusion.io.QualityPlot;
import io.sparkdiffusion.metrics.QualityReport;
import io.sparkdiffusion.train.EvaluationRecord;
import io.sparkdiffusion.train.RoundRecord;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The per-round metrics of a run as JSON lines, its loss curve and its sample-quality curve. */
final class Metrics {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Metrics() {
    }

    /**
     * One JSON object per round, in order: {@code round} (from 1), {@code images} (this round),
     * {@code imagesSeen}, {@code partitions}, {@code loss}, {@code imagesPerSecond}, and the round's wall time split
     * into {@code seconds}, {@code computeSeconds} (slowest partition's local steps), {@code broadcastSeconds}
     * and {@code aggregateSeconds}; {@code totalComputeSeconds} is all partitions' local steps summed (over the
     * cores, the least the round could take when partitions queue for them).
     */
    static String jsonLines(List<RoundRecord> records) {
        return jsonLines(records, List.of());
    }

    /**
     * As {@link #jsonLines(List)}, and a round whose EMA weights were evaluated also carries the evaluation:
     * {@code evalSamples}, {@code fid}, {@code precision}, {@code recall}, {@code classAccuracy} and
     * {@code perClassAccuracy} (class-conditional models only) and {@code evalSeconds} (the evaluation's wall time,
     * not part of {@code seconds}).
     */
    static String jsonLines(List<RoundRecord> records, List<EvaluationRecord> evaluations) {
        Map<Integer, EvaluationRecord> byRound = new HashMap<>();
        for (EvaluationRecord e : evaluations) {
            byRound.put(e.round(), e);
        }
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
            o.put("totalComputeSeconds", r.totalComputeNanos() / 1e9);
            EvaluationRecord e = byRound.get(r.round());
            if (e != null) {
                putEvaluation(o, e);
            }
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
        return merge(previous, records, List.of());
    }

    /** As {@link #merge(String, List)}, the fresh rounds with their evaluations. */
    static String merge(String previous, List<RoundRecord> records, List<EvaluationRecord> evaluations) {
        String fresh = jsonLines(records, evaluations);
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

    private static void putEvaluation(ObjectNode o, EvaluationRecord e) {
        QualityReport q = e.report();
        o.put("evalSamples", q.numSamples());
        o.put("fid", q.fid());
        o.put("precision", q.precision());
        o.put("recall", q.recall());
        if (q.perClassAccuracy() != null) {
            o.put("classAccuracy", q.classAccuracy());
            var perClass = o.putArray("perClassAccuracy");
            for (double a : q.perClassAccuracy()) {
                perClass.add(a);
            }
        }
        o.put("evalSeconds", e.seconds());
    }

    /** Whether any line of {@code jsonLines} carries an evaluation. */
    static boolean hasEvaluations(String jsonLines) {
        return jsonLines.lines().filter(l -> !l.isBlank()).map(Metrics::parse).anyMatch(r -> r.has("fid"));
    }

    /**
     * The FID (and, when every evaluation has one, the class accuracy) of the evaluated rounds in {@code jsonLines}
     * against images seen.
     */
    static byte[] qualityCurve(String jsonLines, String title) {
        List<ObjectNode> rows = jsonLines.lines().filter(l -> !l.isBlank()).map(Metrics::parse)
                .filter(r -> r.has("fid")).toList();
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no round of the metrics carries an evaluation (fid): nothing to plot");
        }
        double[] x = rows.stream().mapToDouble(r -> r.path("imagesSeen").asDouble()).toArray();
        double[] fid = rows.stream().mapToDouble(r -> r.path("fid").asDouble()).toArray();
        boolean accuracy = rows.stream().allMatch(r -> r.has("classAccuracy"));
        double[] acc = accuracy ? rows.stream().mapToDouble(r -> r.path("classAccuracy").asDouble()).toArray() : null;
        return QualityPlot.png(x, fid, acc, title);
    }

    private static ObjectNode parse(String line) {
        return ConfigFile.parse(line.getBytes(java.nio.charset.StandardCharsets.UTF_8), "metrics.jsonl");
    }
}
