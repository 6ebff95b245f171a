package io.sparkdiffusion.spark;

import io.sparkdiffusion.io.CheckpointLayout;
import io.sparkdiffusion.io.HadoopBlobStore;
import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.io.WeightsFormat;
import io.sparkdiffusion.train.DivergencePolicy;
import io.sparkdiffusion.train.TrainingState;
import org.apache.hadoop.conf.Configuration;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The driver's {@link TrainingState} saved every {@code interval} rounds under {@code dir/round-NNNNNN/}
 * (weights, EMA, optimizer state and outer momentum in {@link WeightsFormat} with a SHA-256 per chunk, counters in
 * {@code state.properties}), with {@code dir/LATEST} naming the newest. A fit given the same directory resumes
 * from it.
 *
 * <p>Crash safety: the layout and its publication are {@link CheckpointLayout}'s: a checkpoint is written into a
 * hidden temp directory and renamed into place when complete ({@link io.sparkdiffusion.io.AtomicFiles}, atomic on
 * HDFS and local disks), and {@code LATEST} is replaced the same way, so a driver killed during a save leaves the
 * previous checkpoints intact. {@code LATEST} is only a hint: on
 * resume the newest {@code round-*} directory whose manifest, lengths and checksums verify is used, and damaged
 * ones (a half-copied checkpoint on an object store, a truncated file) are skipped with a warning. A state with
 * a NaN or infinite value is never saved.
 */
final class Checkpoints {
    static final String LATEST = CheckpointLayout.LATEST;
    static final String STATE = "state.properties";
    /** The outer optimizer's momentum ({@link io.sparkdiffusion.train.OuterOptimizer}), when it keeps one. */
    static final String OUTER_MOMENTUM = "outer_momentum";
    private static final System.Logger LOG = System.getLogger(Checkpoints.class.getName());

    private final String dir;
    private final int interval;
    private final Configuration conf;
    private String lastSaved;
    private RunFingerprint fingerprint;
    private boolean forceResume;

    Checkpoints(String dir, int interval, Configuration conf) {
        if (interval < 1) {
            throw new IllegalArgumentException("checkpointInterval must be >= 1, got " + interval);
        }
        this.dir = dir;
        this.interval = interval;
        this.conf = conf;
    }

    /**
     * The run these checkpoints belong to: recorded in every save, and compared on resume with what the
     * checkpoint recorded; a difference is refused ({@link #latest}) unless {@code forceResume}.
     */
    Checkpoints forRun(RunFingerprint run, boolean force) {
        this.fingerprint = run;
        this.forceResume = force;
        return this;
    }

    /** Saves {@code state} if its round count is a multiple of the interval. */
    void maybeSave(TrainingState state) {
        if (state.round() % interval == 0) {
            save(state);
        }
    }

    /** The last checkpoint this run saved or resumed from, as "{@code <path> (round N)}", or null. */
    String lastGood() {
        return lastSaved;
    }

    void save(TrainingState state) {
        requireFinite(state);
        Map<String, float[]> arrays = new LinkedHashMap<>();
        arrays.put("params", state.params());
        arrays.put("ema", state.ema());
        if (state.sharedState() != null) {
            arrays.put("optimizer", state.sharedState());
        }
        state.partitionStates().forEach((p, s) -> arrays.put("optimizer_p" + p, s));
        if (state.outerMomentum() != null) {
            arrays.put(OUTER_MOMENTUM, state.outerMomentum());
        }
        Properties props = new Properties();
        props.setProperty("step", Long.toString(state.step()));
        props.setProperty("round", Integer.toString(state.round()));
        props.setProperty("imagesSeen", Long.toString(state.imagesSeen()));
        props.setProperty("stateSize", Integer.toString(state.stateSize()));
        props.setProperty("averageOptimizerState", Boolean.toString(state.sharedState() != null));
        props.setProperty("learningRateScale", Double.toString(state.learningRateScale()));
        if (fingerprint != null) {
            fingerprint.store(props);
        }
        try {
            HadoopPath target = CheckpointLayout.publish(HadoopPaths.resolve(dir, conf), state.round(), temp -> {
                HadoopBlobStore store = new HadoopBlobStore(temp.toString(), conf);
                try (OutputStream out = store.create(STATE)) {
                    props.store(out, "spark-diffusion training state");
                }
                // The weights manifest is written last: a directory without one was never finished.
                WeightsFormat.write(store, arrays);
            });
            lastSaved = target + " (round " + state.round() + ")";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + CheckpointLayout.roundDir(state.round())
                    + " to " + dir, e);
        }
    }

    private static void requireFinite(TrainingState state) {
        String problem = DivergencePolicy.firstNonFinite("weight", state.params());
        if (problem == null) {
            problem = DivergencePolicy.firstNonFinite("EMA weight", state.ema());
        }
        if (problem == null) {
            problem = DivergencePolicy.firstNonFinite("optimizer state entry", state.sharedState());
        }
        if (problem == null) {
            problem = DivergencePolicy.firstNonFinite("outer momentum entry", state.outerMomentum());
        }
        for (var e : state.partitionStates().entrySet()) {
            if (problem == null) {
                problem = DivergencePolicy.firstNonFinite("optimizer state entry of partition " + e.getKey(),
                        e.getValue());
            }
        }
        if (problem != null) {
            throw new IllegalStateException("refusing to checkpoint round " + state.round() + ": " + problem
                    + " (a diverged state must never replace a good checkpoint)");
        }
    }

    /**
     * The newest complete checkpoint, or null if the directory has none.
     *
     * @param numParameters         the network's parameter count, which the checkpoint must match
     * @param averageOptimizerState the run's setting, which the checkpoint must match
     * @throws IllegalStateException when checkpoints exist but none of them can be read
     */
    TrainingState latest(int numParameters, boolean averageOptimizerState) {
        HadoopPath root;
        List<String> candidates;
        try {
            root = HadoopPaths.resolve(dir, conf);
            candidates = CheckpointLayout.candidates(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the checkpoints in " + dir, e);
        }
        List<String> refused = new ArrayList<>();
        for (String name : candidates) {
            TrainingState s;
            try {
                s = read(name);
            } catch (IOException | RuntimeException e) {
                String why = name + ": " + e.getMessage();
                refused.add(why);
                LOG.log(System.Logger.Level.WARNING, "skipping damaged checkpoint " + dir + "/" + why);
                continue;
            }
            check(s, name, numParameters, averageOptimizerState);
            checkRun(name);
            lastSaved = root.child(name) + " (round " + s.round() + ")";
            return s;
        }
        if (!refused.isEmpty()) {
            throw new IllegalStateException("checkpointDir " + dir + " holds checkpoints but none can be read: "
                    + String.join("; ", refused) + ". Use another checkpointDir to start afresh.");
        }
        return null;
    }

    private TrainingState read(String name) throws IOException {
        HadoopBlobStore store = new HadoopBlobStore(dir + "/" + name, conf);
        Properties props = new Properties();
        try (var r = new BufferedReader(new InputStreamReader(store.open(STATE), StandardCharsets.UTF_8))) {
            props.load(r);
        }
        Map<String, float[]> arrays = WeightsFormat.read(store);
        boolean averaged = Boolean.parseBoolean(required(props, "averageOptimizerState"));
        Map<Integer, float[]> perPartition = new TreeMap<>();
        arrays.forEach((k, v) -> {
            if (k.startsWith("optimizer_p")) {
                perPartition.put(Integer.parseInt(k.substring("optimizer_p".length())), v);
            }
        });
        float[] params = arrays.get("params");
        float[] ema = arrays.get("ema");
        if (params == null || ema == null) {
            throw new IOException("the checkpoint lacks 'params' or 'ema'");
        }
        TrainingState s = new TrainingState(params, ema, averaged ? arrays.get("optimizer") : null, perPartition,
                Integer.parseInt(required(props, "stateSize")), Long.parseLong(required(props, "step")),
                Integer.parseInt(required(props, "round")), Long.parseLong(required(props, "imagesSeen")));
        s.setLearningRateScale(Double.parseDouble(props.getProperty("learningRateScale", "1.0")));
        // Absent in checkpoints of plain averaging and in those written before outer optimizers.
        s.setOuterMomentum(arrays.get(OUTER_MOMENTUM));
        return s;
    }

    private static String required(Properties p, String key) throws IOException {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IOException(STATE + " lacks '" + key + "'");
        }
        return v.strip();
    }

    /**
     * A checkpoint of another run (other partitions, data or trajectory Params) is refused with every difference
     * named, unless forceResume; one written before runs were recorded is resumed with a warning.
     */
    private void checkRun(String name) {
        if (fingerprint == null) {
            return;
        }
        Properties props = new Properties();
        try (var r = new BufferedReader(new InputStreamReader(new HadoopBlobStore(dir + "/" + name, conf).open(STATE),
                StandardCharsets.UTF_8))) {
            props.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + "/" + name + "/" + STATE, e);
        }
        RunFingerprint recorded = RunFingerprint.load(props);
        if (recorded == null) {
            LOG.log(System.Logger.Level.WARNING, "checkpoint " + dir + "/" + name + " was written before checkpoints "
                    + "recorded their run (partitions, data, settings): resuming it without checking that they match");
            return;
        }
        List<String> differences = recorded.differences(fingerprint);
        if (differences.isEmpty()) {
            return;
        }
        String what = "checkpoint " + dir + "/" + name + " belongs to another run (checkpoint -> this fit): "
                + String.join("; ", differences);
        if (forceResume) {
            LOG.log(System.Logger.Level.WARNING, what + "; resuming anyway (forceResume)");
            return;
        }
        throw new IllegalArgumentException(what + ". Resume with the same data and settings (and, in syncMode "
                + "weights, the same partitioning); set "
                + "forceResume=true (--force-resume true) to resume anyway (e.g. a lower learningRate after a "
                + "divergence), or use another checkpointDir to start afresh");
    }

    /** A readable checkpoint of another network or setting is the user's mistake, not damage: no fallback. */
    private void check(TrainingState s, String name, int numParameters, boolean averageOptimizerState) {
        if (s.params().length != numParameters) {
            throw new IllegalArgumentException("checkpoint " + dir + "/" + name + " holds " + s.params().length
                    + " parameters, but the configured network has " + numParameters
                    + ": use another checkpointDir or the network it was trained with");
        }
        boolean averaged = s.sharedState() != null;
        if (averaged != averageOptimizerState) {
            throw new IllegalArgumentException("checkpoint " + dir + "/" + name + " has averageOptimizerState="
                    + averaged + " but this run sets " + averageOptimizerState);
        }
    }
}
