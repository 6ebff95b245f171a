package io.sparkdiffusion.spark;

import io.sparkdiffusion.io.HadoopBlobStore;
import io.sparkdiffusion.io.WeightsFormat;
import io.sparkdiffusion.nn.unet.UNetConfig;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Saving and loading a {@link DiffusionModel}: Spark's {@code metadata/} (class, uid, Params, as
 * DefaultParamsWriter writes it) plus {@code data/}: the weights and their EMA in {@link WeightsFormat}
 * (chunked raw little-endian floats with SHA-256 per chunk) and {@code network.properties}, the resolved network
 * with the SHA-256 of its entries ({@link NetworkProperties});
 * for a freshly trained model whose run evaluated sample quality, {@code quality.json}: the final evaluation of its
 * training summary ({@link #qualityJson}), which {@code ./submit.sh info} shows. Nothing is Java-deserialized on load.
 */
final class ModelPersistence {
    static final int NETWORK_FORMAT_VERSION = 1;

    private ModelPersistence() {
    }

    static final class Writer extends MLWriter {
        private final DiffusionModel model;

        Writer(DiffusionModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            String problem = io.sparkdiffusion.train.DivergencePolicy.firstNonFinite("weight", model.weights());
            if (problem == null) {
                problem = io.sparkdiffusion.train.DivergencePolicy.firstNonFinite("EMA weight", model.emaWeights());
            }
            if (problem != null) {
                throw new IllegalStateException("refusing to save DiffusionModel " + model.uid() + " to " + path + ": "
                        + problem + " (the model diverged; use the last good checkpoint)");
            }
            DefaultParamsWriter$.MODULE$.saveMetadata(model, path, sparkSession());
            HadoopBlobStore data = new HadoopBlobStore(path + "/data", sparkSession().sparkContext().hadoopConfiguration());
            UNetConfig s = model.networkConfig();
            Properties p = new Properties();
            p.setProperty("imgChannels", Integer.toString(s.imgChannels()));
            p.setProperty("imgResolution", Integer.toString(s.imgResolution()));
            p.setProperty("modelChannels", Integer.toString(s.modelChannels()));
            p.setProperty("channelMult", join(s.channelMult()));
            p.setProperty("numResBlocks", Integer.toString(s.numResBlocks()));
            p.setProperty("attnResolutions", join(s.attnResolutions()));
            p.setProperty("numClasses", Integer.toString(s.numClasses()));
            p.setProperty("dropout", Float.toString(s.dropout()));
            p.setProperty("labelScale", Float.toString(s.labelScale()));
            Map<String, float[]> arrays = new LinkedHashMap<>();
            arrays.put("weights", model.weights());
            arrays.put("ema", model.emaWeights());
            try {
                NetworkProperties.write(data, p, NETWORK_FORMAT_VERSION, "spark-diffusion network");
                WeightsFormat.write(data, arrays);
                if (model.hasSummary() && model.summary().finalEvaluation().isPresent()) {
                    try (OutputStream out = data.create(DiffusionModel.QUALITY_FILE)) {
                        out.write(qualityJson(model.summary().finalEvaluation().get())
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot save the DiffusionModel's data to " + path + "/data", e);
            }
        }
    }

    static final class Reader extends MLReader<DiffusionModel> {
        @Override
        public DiffusionModel load(String path) {
            DefaultParamsReader.Metadata metadata = loadMetadata(path, sparkSession(), DiffusionModel.class);
            HadoopBlobStore data = new HadoopBlobStore(path + "/data", sparkSession().sparkContext().hadoopConfiguration());
            try {
                Properties p = NetworkProperties.read(data, path, NETWORK_FORMAT_VERSION);
                UNetConfig spec;
                try {
                    spec = new UNetConfig(intProp(p, "imgChannels"), intProp(p, "imgResolution"),
                            intProp(p, "modelChannels"), ints(p, "channelMult"), intProp(p, "numResBlocks"),
                            ints(p, "attnResolutions"), intProp(p, "numClasses"), floatProp(p, "dropout", null),
                            floatProp(p, "labelScale", Float.toString(UNetConfig.PLAIN_LABEL_SCALE)));
                } catch (IllegalArgumentException e) { // UNetConfig's checks
                    throw new IOException("network.properties describes no valid network: " + e.getMessage(), e);
                }
                Map<String, float[]> arrays = WeightsFormat.read(data);
                float[] weights = arrays.get("weights");
                float[] ema = arrays.get("ema");
                if (weights == null || ema == null || weights.length != ema.length) {
                    throw new IOException(path + "/data must hold arrays 'weights' and 'ema' of equal length, got "
                            + arrays.keySet());
                }
                DiffusionModel model = new DiffusionModel(metadata.uid(), spec, weights, ema, null);
                try {
                    metadata.getAndSetParams(model, scala.Option.empty());
                } catch (RuntimeException e) {
                    throw new IOException("its metadata (" + path + "/metadata) holds an unknown or invalid Param: "
                            + e.getMessage(), e);
                }
                return model;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load a DiffusionModel from " + path + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * One JSON object: {@code round} (from 1), {@code imagesSeen}, {@code evalSeconds}, then the fields of
     * {@link io.sparkdiffusion.metrics.QualityReport#toJson} ({@code numSamples}, {@code fid}, ...).
     */
    static String qualityJson(io.sparkdiffusion.train.EvaluationRecord e) {
        String report = e.report().toJson();
        return String.format(java.util.Locale.ROOT, "{\"round\": %d, \"imagesSeen\": %d, \"evalSeconds\": %.3f, %s%n",
                e.round() + 1, e.imagesSeen(), e.seconds(), report.substring(1));
    }

    private static String join(int[] a) {
        return String.join(",", Arrays.stream(a).mapToObj(Integer::toString).toArray(String[]::new));
    }

    /** The entry {@code key}, or {@code ifMissing} when absent (an error when that is null too). */
    private static String entry(Properties p, String key, String ifMissing) throws IOException {
        String v = p.getProperty(key, ifMissing);
        if (v == null) {
            throw new IOException("network.properties lacks '" + key + "'");
        }
        return v;
    }

    private static int[] ints(Properties p, String key) throws IOException {
        String s = entry(p, key, null);
        try {
            return s.isEmpty() ? new int[0] : Arrays.stream(s.split(",")).mapToInt(v -> Integer.parseInt(v.strip())).toArray();
        } catch (NumberFormatException e) {
            throw new IOException("network.properties has " + key + " = '" + s + "', not a comma-separated list of integers");
        }
    }

    /** A float entry; {@code ifMissing} (or an error when null) for a key older models do not have. */
    private static float floatProp(Properties p, String key, String ifMissing) throws IOException {
        String v = entry(p, key, ifMissing);
        try {
            return Float.parseFloat(v.strip());
        } catch (NumberFormatException e) {
            throw new IOException("network.properties has " + key + " = '" + v + "', not a number");
        }
    }

    /** Spark's metadata of a saved {@code cls}, or an error naming the path and what is wrong with it. */
    static DefaultParamsReader.Metadata loadMetadata(String path, SparkSession spark, Class<?> cls) {
        try {
            return DefaultParamsReader$.MODULE$.loadMetadata(path, spark, cls.getName());
        } catch (Exception e) { // Spark rethrows Jackson's checked parse errors unchecked
            throw new IllegalArgumentException("cannot load a " + cls.getSimpleName() + " from " + path
                    + ": its metadata (" + path + "/metadata) is missing, unreadable or of another class: "
                    + e.getMessage(), e);
        }
    }

    static int intProp(Properties p, String key) throws IOException {
        String v = entry(p, key, null);
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IOException("network.properties has " + key + " = '" + v + "', not an integer");
        }
    }
}
