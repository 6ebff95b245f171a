package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
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

                Prints what a saved model is: its class and Spark version, the parameterization and network,
                the images it was trained on, and every setting (explicitly set, then defaults). Reads the
                model's metadata/ JSON only; no Spark job.

                Examples:
                  ./submit.sh info --model runs/quick/model
                  ./submit.sh info --model hdfs:///runs/fashion-mnist/model
                """;
    }

    @Override
    public int run(Args args) throws IOException {
        args.requireOnly(Set.of("model"), name());
        if (!args.positional().isEmpty()) {
            throw new UsageException("info takes no positional arguments, got " + args.positional()
                    + " (use --model PATH)");
        }
        ObjectNode metadata = readMetadata(args.required("model", name()), new Configuration());
        print(metadata, System.out);
        return 0;
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

    /** Prints the model's identity, then its set Params, then defaults, then any extra metadata. */
    static void print(ObjectNode metadata, PrintStream out) {
        String cls = metadata.path("class").asText("?");
        out.println("model        " + cls.substring(cls.lastIndexOf('.') + 1) + " (" + cls + ")");
        out.println("uid          " + metadata.path("uid").asText("?"));
        out.println("spark        " + metadata.path("sparkVersion").asText("?"));
        if (metadata.has("timestamp")) {
            out.println("saved        " + java.time.Instant.ofEpochMilli(metadata.get("timestamp").asLong()));
        }
        Map<String, JsonNode> extra = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = metadata.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (!SPARK_FIELDS.contains(f.getKey())) {
                extra.put(f.getKey(), f.getValue());
            }
        }
        if (!extra.isEmpty()) {
            out.println();
            extra.forEach((k, v) -> out.printf("%-24s %s%n", k, v.isTextual() ? v.asText() : v.toString()));
        }
        printParams("settings", metadata.path("paramMap"), out);
        printParams("defaults", metadata.path("defaultParamMap"), out);
    }

    private static void printParams(String title, JsonNode params, PrintStream out) {
        if (!params.isObject() || params.isEmpty()) {
            return;
        }
        out.println();
        out.println(title + ":");
        Map<String, JsonNode> sorted = new TreeMap<>();
        params.fields().forEachRemaining(f -> sorted.put(f.getKey(), f.getValue()));
        sorted.forEach((k, v) -> out.printf("  %-22s %s%n", k, v.isTextual() ? v.asText() : v.toString()));
    }
}
