package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.TrainingState;
import io.sparkdiffusion.train.WeightsFormat;
import org.apache.hadoop.conf.Configuration;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The driver's {@link TrainingState} saved every {@code interval} rounds under {@code dir/round-NNNNNN/}
 * (weights, EMA and optimizer state in {@link WeightsFormat}, counters in {@code state.properties}), with
 * {@code dir/LATEST} naming the newest complete one. A fit given the same directory resumes from it.
 */
final class Checkpoints {
    static final String LATEST = "LATEST";
    private final String dir;
    private final int interval;
    private final Configuration conf;

    Checkpoints(String dir, int interval, Configuration conf) {
        if (interval < 1) {
            throw new IllegalArgumentException("checkpointInterval must be >= 1, got " + interval);
        }
        this.dir = dir;
        this.interval = interval;
        this.conf = conf;
    }

    /** Saves {@code state} if its round count is a multiple of the interval. */
    void maybeSave(TrainingState state) {
        if (state.round() % interval == 0) {
            save(state);
        }
    }

    void save(TrainingState state) {
        String name = String.format("round-%06d", state.round());
        HadoopBlobStore store = new HadoopBlobStore(dir + "/" + name, conf);
        Map<String, float[]> arrays = new LinkedHashMap<>();
        arrays.put("params", state.params());
        arrays.put("ema", state.ema());
        if (state.sharedState() != null) {
            arrays.put("optimizer", state.sharedState());
        }
        state.partitionStates().forEach((p, s) -> arrays.put("optimizer_p" + p, s));
        Properties props = new Properties();
        props.setProperty("step", Long.toString(state.step()));
        props.setProperty("round", Integer.toString(state.round()));
        props.setProperty("imagesSeen", Long.toString(state.imagesSeen()));
        props.setProperty("stateSize", Integer.toString(state.stateSize()));
        props.setProperty("averageOptimizerState", Boolean.toString(state.sharedState() != null));
        try {
            WeightsFormat.write(store, arrays);
            try (OutputStream out = store.create("state.properties")) {
                props.store(out, "spark-diffusion training state");
            }
            // LATEST is written last, so it only ever names a complete checkpoint.
            try (OutputStream out = new HadoopBlobStore(dir, conf).create(LATEST)) {
                out.write(name.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + name + " to " + dir, e);
        }
    }

    /**
     * The newest checkpoint, or null if the directory has none.
     *
     * @param numParameters         the network's parameter count, which the checkpoint must match
     * @param averageOptimizerState the run's setting, which the checkpoint must match
     */
    TrainingState latest(int numParameters, boolean averageOptimizerState) {
        HadoopBlobStore root = new HadoopBlobStore(dir, conf);
        try {
            if (!root.exists(LATEST)) {
                return null;
            }
            String name;
            try (var in = root.open(LATEST)) {
                name = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
            HadoopBlobStore store = new HadoopBlobStore(dir + "/" + name, conf);
            Properties props = new Properties();
            try (var r = new BufferedReader(new InputStreamReader(store.open("state.properties"), StandardCharsets.UTF_8))) {
                props.load(r);
            }
            Map<String, float[]> arrays = WeightsFormat.read(store);
            float[] params = arrays.get("params");
            if (params == null || params.length != numParameters) {
                throw new IllegalArgumentException("checkpoint " + dir + "/" + name + " holds "
                        + (params == null ? "no" : params.length) + " parameters, but the configured network has "
                        + numParameters + ": use another checkpointDir or the network it was trained with");
            }
            boolean averaged = Boolean.parseBoolean(props.getProperty("averageOptimizerState"));
            if (averaged != averageOptimizerState) {
                throw new IllegalArgumentException("checkpoint " + dir + "/" + name + " has averageOptimizerState="
                        + averaged + " but this run sets " + averageOptimizerState);
            }
            Map<Integer, float[]> perPartition = new TreeMap<>();
            arrays.forEach((k, v) -> {
                if (k.startsWith("optimizer_p")) {
                    perPartition.put(Integer.parseInt(k.substring("optimizer_p".length())), v);
                }
            });
            return new TrainingState(params, arrays.get("ema"), averaged ? arrays.get("optimizer") : null, perPartition,
                    Integer.parseInt(props.getProperty("stateSize")), Long.parseLong(props.getProperty("step")),
                    Integer.parseInt(props.getProperty("round")), Long.parseLong(props.getProperty("imagesSeen")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the checkpoint in " + dir, e);
        }
    }
}
