package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.spark.DiffusionModel;
import io.sparkdiffusion.spark.FeatureNetworkModel;
import io.sparkdiffusion.spark.NetworkProperties;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;

import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code info --model PATH}: what a saved model is, read from Spark's {@code metadata/} JSON directly (no
 * SparkSession, so it answers in a second).
 */
public final class InfoCommand implements Command {
    /** Fields of Spark's metadata that are not Params and not ours. */
    private static final Set<String> SPARK_FIELDS = Set.of("class", "timestamp", "sparkVersion", "uid", "paramMap",
            "defaultParamMap");

    @Override
    public String name() {
        return "info";
    }

    @Override
    public String summary() {
        return "print what a saved model is: parameterization, network, images seen, settings";
    }

    @Override
    public String help() {
        return """
                Usage: ./submit.sh info --model PATH

                Prints what a saved model is: its class and Spark version, the parameterization, the network and
                its parameter count, the classes, the images it was trained on (from metrics.jsonl beside model/),
                the final FID, precision, recall and class accuracy when the run evaluated (evalInterval > 0),
                and every setting with its value. For a feature network (./submit.sh features): its CNN, the
                reference rows and the held-out accuracy (accuracy.json beside model/). Reads the model's files
                directly; no Spark job.

                Examples:
                  ./submit.sh info --model runs/quick/model
                  ./submit.sh info --model hdfs:///runs/fashion-mnist/model
                  ./submit.sh info --model runs/features-fashion-mnist/model
                """;
    }

    @Override
    public int run(Args args) throws IOException {
        args.requireOnly(Set.of("model"), name());
        if (!args.positional().isEmpty()) {
            throw new UsageException("info takes no positional arguments, got " + args.positional()
                    + " (use --model PATH)");
        }
        Configuration hadoop = new Configuration();
        HadoopPath model = HadoopPaths.resolve(args.required("model", name()), hadoop);
        ObjectNode metadata = readMetadata(model.toString(), hadoop);
        if (metadata.path("class").asText().equals(FeatureNetworkModel.class.getName())) {
            printFeatureNetwork(metadata, readProperties(model.child("data").child("network.properties")),
                    readText(model.child("data").child("manifest.txt")), readText(sibling(model, "accuracy.json")),
                    System.out);
            return 0;
        }
        print(metadata, readProperties(model.child("data").child("network.properties")),
                readText(model.child("data").child("manifest.txt")), readText(siblingMetrics(model)),
                readText(model.child("data").child(DiffusionModel.QUALITY_FILE)), System.out);
        return 0;
    }

    /** {@code metrics.jsonl} beside the model directory, where train writes it. */
    static HadoopPath siblingMetrics(HadoopPath model) {
        return sibling(model, "metrics.jsonl");
    }

    /** The file {@code name} beside the model directory. */
    static HadoopPath sibling(HadoopPath model, String name) {
        org.apache.hadoop.fs.Path parent = model.path().getParent();
        return new HadoopPath(model.fs(), new org.apache.hadoop.fs.Path(parent == null ? model.path() : parent, name));
    }

    /**
     * What a saved feature network (./submit.sh features) is: its CNN, parameter count, reference rows and the
     * held-out accuracy from {@code accuracy.json} beside model/, then its settings.
     */
    static void printFeatureNetwork(ObjectNode metadata, Properties network, String manifest, String accuracy,
                                    PrintStream out) {
        String saved = metadata.has("timestamp")
                ? ", saved " + java.time.Instant.ofEpochMilli(metadata.get("timestamp").asLong()) : "";
        row(out, "model", "FeatureNetworkModel (uid " + metadata.path("uid").asText("?") + ", Spark "
                + metadata.path("sparkVersion").asText("?") + saved + ")");
        if (network != null) {
            int c = Integer.parseInt(network.getProperty("channels", "0"));
            row(out, "network", "feature CNN: " + network.getProperty("imgChannels") + "x"
                    + network.getProperty("imgResolution") + "x" + network.getProperty("imgResolution")
                    + " images, convolutions of " + c + ", " + 2 * c + ", " + 4 * c + " channels, "
                    + network.getProperty("featureDim") + " features, " + network.getProperty("numClasses")
                    + " classes");
            row(out, "network file", networkFile(network));
        }
        if (manifest != null) {
            manifest.lines().filter(l -> l.startsWith("array weights ")).findFirst().ifPresent(l ->
                    row(out, "parameters", String.format(Locale.ROOT, "%,d", Long.parseLong(l.split(" ")[2]))));
            int d = network == null ? 0 : Integer.parseInt(network.getProperty("featureDim", "0"));
            manifest.lines().filter(l -> l.startsWith("array referenceFeatures ")).findFirst().ifPresent(l ->
                    row(out, "reference rows", d == 0 ? "?" : String.format(Locale.ROOT, "%,d (for precision and"
                            + " recall; the moments cover all the images it was fitted on)",
                            Long.parseLong(l.split(" ")[2]) / d)));
        }
        row(out, "accuracy", accuracy == null ? "unknown (features writes accuracy.json beside model/)"
                : accuracy.strip());
        out.println();
        out.println("settings (* set explicitly, the rest are defaults):");
        printSettings(metadata.path("paramMap"), effective(metadata), out);
    }

    /** Every Param's effective value: the saved default, overridden by the value set explicitly. */
    private static Map<String, JsonNode> effective(ObjectNode metadata) {
        Map<String, JsonNode> effective = new TreeMap<>();
        metadata.path("defaultParamMap").fields().forEachRemaining(f -> effective.put(f.getKey(), f.getValue()));
        metadata.path("paramMap").fields().forEachRemaining(f -> effective.put(f.getKey(), f.getValue()));
        return effective;
    }

    /** One line per setting, {@code *} marking those in {@code set}. */
    private static void printSettings(JsonNode set, Map<String, JsonNode> effective, PrintStream out) {
        effective.forEach((k, v) -> out.printf(Locale.ROOT, "  %s %-22s %s%n", set.has(k) ? "*" : " ", k, text(v)));
    }

    /** The JSON object of {@code model}/metadata/part-*, as Spark's DefaultParamsWriter saves it. */
    static ObjectNode readMetadata(String model, Configuration hadoop) throws IOException {
        HadoopPath dir = HadoopPaths.resolve(model, hadoop).child("metadata");
        if (!dir.exists()) {
            throw new UsageException("model " + model + " has no metadata/ directory: not a saved Spark ML model");
        }
        FileStatus[] parts = dir.fs().listStatus(dir.path(), p -> p.getName().startsWith("part-"));
        Arrays.sort(parts);
        for (FileStatus part : parts) {
            if (part.getLen() > 0) {
                byte[] bytes = dir.child(part.getPath().getName()).readAllBytes();
                return ConfigFile.parse(bytes, part.getPath().toString());
            }
        }
        throw new UsageException("model " + model + ": metadata/ holds no non-empty part file");
    }

    private static String readText(HadoopPath file) throws IOException {
        return file.exists() ? new String(file.readAllBytes(), StandardCharsets.UTF_8) : null;
    }

    private static Properties readProperties(HadoopPath file) throws IOException {
        String text = readText(file);
        if (text == null) {
            return null;
        }
        Properties p = new Properties();
        p.load(new StringReader(text));
        return p;
    }

    /**
     * Prints what the model is (class, parameterization, network, parameter count, images seen), then every
     * setting with its effective value, {@code *} marking the ones set explicitly.
     *
     * @param network  {@code data/network.properties} (the resolved network), or null
     * @param manifest {@code data/manifest.txt} of the weights, or null
     * @param metrics  the run's {@code metrics.jsonl}, or null
     */
    static void print(ObjectNode metadata, Properties network, String manifest, String metrics, PrintStream out) {
        print(metadata, network, manifest, metrics, null, out);
    }

    /**
     * As above, with the final sample-quality evaluation of the training run ({@code data/quality.json}, or null
     * when the run did not evaluate).
     */
    static void print(ObjectNode metadata, Properties network, String manifest, String metrics, String quality,
                      PrintStream out) {
        JsonNode set = metadata.path("paramMap");
        Map<String, JsonNode> effective = effective(metadata);
        String cls = metadata.path("class").asText("?");
        String saved = metadata.has("timestamp")
                ? ", saved " + java.time.Instant.ofEpochMilli(metadata.get("timestamp").asLong()) : "";
        row(out, "model", cls.substring(cls.lastIndexOf('.') + 1) + " (uid " + metadata.path("uid").asText("?")
                + ", Spark " + metadata.path("sparkVersion").asText("?") + saved + ")");
        row(out, "parameterization", text(effective.get("parameterization")));
        if (network != null) {
            row(out, "network", text(effective.get("network")) + ": " + network.getProperty("imgChannels") + "x"
                    + network.getProperty("imgResolution") + "x" + network.getProperty("imgResolution")
                    + " images, model channels " + network.getProperty("modelChannels") + ", channel multipliers ["
                    + network.getProperty("channelMult") + "], " + network.getProperty("numResBlocks")
                    + " residual blocks per level, attention at [" + network.getProperty("attnResolutions")
                    + "], dropout " + network.getProperty("dropout") + ", label scale "
                    + network.getProperty("labelScale", Float.toString(UNetConfig.PLAIN_LABEL_SCALE)));
            row(out, "network file", networkFile(network));
        } else {
            row(out, "network", text(effective.get("network")));
        }
        if (manifest != null) {
            manifest.lines().filter(l -> l.startsWith("array weights ")).findFirst().ifPresent(l ->
                    row(out, "parameters", String.format(Locale.ROOT, "%,d", Long.parseLong(l.split(" ")[2]))));
        }
        int classes = effective.containsKey("numClasses") ? effective.get("numClasses").asInt() : 0;
        row(out, "classes", classes == 0 ? "none (unconditional)" : classes + " (class-conditional)");
        row(out, "images seen", imagesSeen(metrics));
        row(out, "final quality", finalQuality(quality));
        Iterator<Map.Entry<String, JsonNode>> fields = metadata.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (!SPARK_FIELDS.contains(f.getKey())) {
                row(out, f.getKey(), text(f.getValue()));
            }
        }
        out.println();
        out.println("settings (* set explicitly, the rest are defaults; sample's flags override sampler settings):");
        printSettings(set, effective, out);
    }

    /**
     * Whether {@code data/network.properties} still holds what was saved: loading refuses a changed file, and info,
     * which only displays it, says so instead.
     */
    static String networkFile(Properties network) {
        NetworkProperties.Checksum sum = NetworkProperties.Checksum.of(network);
        if (sum.saved() == null) {
            return "no " + NetworkProperties.CHECKSUM_KEY + " (saved before models carried one; loads unchecked)";
        }
        if (sum.matches()) {
            return "entries match their SHA-256 (" + NetworkProperties.CHECKSUM_KEY + ")";
        }
        return "CHANGED after it was saved: its entries' SHA-256 is " + sum.actual() + ", its "
                + NetworkProperties.CHECKSUM_KEY + " says " + sum.saved() + "; the model will not load (restore "
                + "data/network.properties from the original model)";
    }

    /** The final evaluation of {@code data/quality.json} in one line. */
    static String finalQuality(String quality) {
        if (quality == null || quality.isBlank()) {
            return "not evaluated (train with evalInterval > 0 and featureModelPath to record FID)";
        }
        ObjectNode q = ConfigFile.parse(quality.getBytes(StandardCharsets.UTF_8), "data/" + DiffusionModel.QUALITY_FILE);
        String acc = q.has("classAccuracy") && !q.get("classAccuracy").isNull()
                ? String.format(Locale.ROOT, ", classAccuracy %.3f", q.path("classAccuracy").asDouble()) : "";
        return String.format(Locale.ROOT, "fid %.3f, precision %.3f, recall %.3f%s (%,d samples of the EMA weights "
                        + "after round %d, %,d images; comparable only within one feature network and sample count)",
                q.path("fid").asDouble(), q.path("precision").asDouble(), q.path("recall").asDouble(), acc,
                q.path("numSamples").asLong(), q.path("round").asInt(), q.path("imagesSeen").asLong());
    }

    private static String imagesSeen(String metrics) {
        if (metrics == null || metrics.isBlank()) {
            return "unknown (the saved model does not record it; train writes metrics.jsonl beside model/)";
        }
        List<String> lines = metrics.lines().filter(l -> !l.isBlank()).toList();
        ObjectNode last = ConfigFile.parse(lines.get(lines.size() - 1).getBytes(StandardCharsets.UTF_8), "metrics.jsonl");
        return String.format(Locale.ROOT, "%,d in %d rounds, last round's loss %.4f (from metrics.jsonl beside model/)",
                last.path("imagesSeen").asLong(), last.path("round").asInt(), last.path("loss").asDouble());
    }

    private static void row(PrintStream out, String key, String value) {
        out.printf(Locale.ROOT, "%-17s %s%n", key, value);
    }

    private static String text(JsonNode v) {
        return v == null ? "?" : v.isTextual() ? v.asText() : v.toString();
    }
}
