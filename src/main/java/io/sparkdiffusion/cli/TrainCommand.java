package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.param.Params;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/** {@code train CONFIG.json [--key value ...]}: fit a model and write it with its metrics and pictures. */
public final class TrainCommand implements Command {

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train a model from a JSON config; writes model/, metrics.jsonl, loss.png, samples.png";
    }

    @Override
    public String help() {
        return """
                Usage: ./submit.sh [--master URL] train CONFIG.json [--key value ...]

                Trains a diffusion model as a Spark job. CONFIG.json holds the settings; its keys are the Spark Param
                names of the stages, and any key can be overridden on the command line by its kebab case
                (numRounds -> --num-rounds). The whole config is checked before Spark starts.

                Prints one line per round (round, images seen, loss, images/s, time left). Writes to "output":
                  model/          the saved DiffusionModel (load it with DiffusionModel.load, or use sample/info)
                  metrics.jsonl   one JSON object per round
                  loss.png        the loss curve (log scale) against images seen
                  samples.png     a grid of samples, one row per class for a class-conditional model

                Examples:
                  ./submit.sh train conf/quick.json
                  ./submit.sh train conf/fashion-mnist.json
                  ./submit.sh train conf/quick.json --num-rounds 2 --output runs/try --overwrite true
                  JAVA_OPTS=-Xmx12g ./submit.sh train conf/fashion-mnist.json
                  ./submit.sh --master spark://host:7077 train conf/fashion-mnist.json \\
                      --data hdfs:///data/fashion-mnist --output hdfs:///runs/fashion-mnist

                Config keys (key, type, default, meaning):
                """ + schema().referenceText();
    }

    /** The keys of a training config: {@link TrainSettings#KEYS} plus the Params of the training stages. */
    static ConfigSchema schema() {
        return new ConfigSchema(TrainSettings.KEYS, stages());
    }

    /** Fresh training stages whose Params a config sets. */
    static List<Params> stages() {
        return List.of();
    }

    /**
     * Reads, checks and binds a config and its overrides; no Spark. The stages in {@code schema} carry the
     * Param values afterwards.
     */
    static TrainSettings load(String configPath, Map<String, String> overrides, ConfigSchema schema) {
        ObjectNode json = ConfigFile.read(configPath);
        return TrainSettings.from(schema.bind(json, configPath, overrides));
    }

    @Override
    public int run(Args args) throws IOException {
        if (args.positional().size() != 1) {
            throw new UsageException("train needs exactly one config file, got " + args.positional()
                    + " (e.g. ./submit.sh train conf/quick.json; see --help)");
        }
        ConfigSchema schema = schema();
        TrainSettings settings = load(args.positional().get(0), args.options(), schema);
        checkPaths(settings, new Configuration());
        throw new UsageException("config " + args.positional().get(0) + " is valid, but this build has no Spark "
                + "training stages yet (they come with the spark branch)");
    }

    /** The data must exist and the output must not, unless overwrite is set; checked before Spark starts. */
    static void checkPaths(TrainSettings settings, Configuration hadoop) throws IOException {
        HadoopPath data = HadoopPaths.resolve(settings.data(), hadoop);
        if (!data.exists()) {
            throw new UsageException("data " + settings.data() + " does not exist (resolved to " + data + ")");
        }
        HadoopPath output = HadoopPaths.resolve(settings.output(), hadoop);
        if (output.exists() && !settings.overwrite()) {
            throw new UsageException("output " + output + " already exists; choose another output, or set "
                    + "\"overwrite\": true (--overwrite true) to replace it");
        }
    }
}
