package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.Shard;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * What a checkpoint was trained on, so that a resume can tell whether it continues the same run: the partition
 * count, the training data (its row count and a hash of every partition's size, images and labels, in order)
 * and the Params that change the trajectory (all of the trainer's, except those a user legitimately changes
 * between a run and its resume: {@link #NOT_TRAJECTORY}).
 *
 * <p>The data hash is computed on the cached shards, so it covers whatever the DataFrame was built from (files,
 * tables, a generated frame) and changes with the row order inside a partition, which decides the batches.
 *
 * @param partitions the number of partitions (shards) the run trains on
 * @param rows       the number of training images, over all partitions
 * @param dataHash   a hash of each partition's size, images and labels, in partition order
 * @param params     Param name to its JSON-encoded value, for every trajectory Param
 * @param atDefault  the Params among them that hold their default (not stored: known for the current run only)
 */
record RunFingerprint(int partitions, long rows, String dataHash, SortedMap<String, String> params,
                      Set<String> atDefault) {

    /**
     * Params that do not change the weights of the rounds already trained: the length of the run, where and how
     * often it is saved, the column names (the data hash covers the content), divergence handling (a user told
     * to lower the learning rate after a divergence sets forceResume), forceResume itself, the reduction (tree
     * and slices give the same means, to float rounding; a user whose round no longer fits switches it), and the
     * sample-quality evaluation (its jobs draw none of the training's random numbers: TrainingEvaluationTest).
     */
    static final Set<String> NOT_TRAJECTORY = Set.of("numRounds", "numImages", "checkpointDir",
            "checkpointInterval", "forceResume", "inputCol", "labelCol", "onDivergence", "learningRateBackoff",
            "maxBackoffs", "reduction", "evalInterval", "evalSamples", "featureModelPath");

    private static final String PARTITIONS = "fingerprint.partitions";
    private static final String ROWS = "fingerprint.rows";
    private static final String DATA_HASH = "fingerprint.dataHash";
    private static final String PARAM = "fingerprint.param.";

    RunFingerprint {
        params = new TreeMap<>(params);
        atDefault = Set.copyOf(atDefault);
    }

    /** The size and content hash of one cached shard (computed by the task that holds it). */
    @com.esotericsoftware.kryo.DefaultSerializer(com.esotericsoftware.kryo.serializers.JavaSerializer.class) // Kryo cannot fill a record
    record ShardDigest(int size, long crc) implements java.io.Serializable {
    }

    /** Each partition's size and content hash, in partition order (one job, which also fills the cache). */
    static List<ShardDigest> digest(JavaRDD<Shard> shards) {
        return shards.map(RunFingerprint::digest).collect();
    }

    /** CRC-32C of the shard's floats (little-endian IEEE bits), then of its labels, if any. */
    static ShardDigest digest(Shard shard) {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        float[] images = shard.images();
        for (int i = 0; i < images.length; i++) {
            if (buf.remaining() < Float.BYTES) {
                crc.update(buf.flip());
                buf.clear();
            }
            buf.putFloat(images[i]);
        }
        int[] labels = shard.labels();
        for (int i = 0; labels != null && i < labels.length; i++) {
            if (buf.remaining() < Integer.BYTES) {
                crc.update(buf.flip());
                buf.clear();
            }
            buf.putInt(labels[i]);
        }
        crc.update(buf.flip());
        return new ShardDigest(shard.size(), crc.getValue());
    }

    /** The fingerprint of a run on shards with these digests, with the trajectory Params of {@code stage}. */
    static RunFingerprint of(List<ShardDigest> shards, Params stage) {
        long rows = 0;
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        for (ShardDigest d : shards) {
            rows += d.size();
            sha.update((d.size() + ":" + Long.toHexString(d.crc()) + ";").getBytes(StandardCharsets.UTF_8));
        }
        String hash = HexFormat.of().formatHex(sha.digest(), 0, 8);
        SortedMap<String, String> params = trajectoryParams(stage);
        Set<String> atDefault = new TreeSet<>();
        for (Param<?> p : stage.params()) {
            if (params.containsKey(p.name()) && !stage.isSet(p)) {
                atDefault.add(p.name());
            }
        }
        return new RunFingerprint(shards.size(), rows, hash, params, atDefault);
    }

    /** Every Param of {@code stage} that has a value, except {@link #NOT_TRAJECTORY}, JSON-encoded. */
    @SuppressWarnings("unchecked")
    static SortedMap<String, String> trajectoryParams(Params stage) {
        SortedMap<String, String> out = new TreeMap<>();
        for (Param<?> p : stage.params()) {
            if (!NOT_TRAJECTORY.contains(p.name()) && stage.isDefined(p)) {
                Param<Object> param = (Param<Object>) p;
                out.put(p.name(), param.jsonEncode(stage.getOrDefault(param)));
            }
        }
        return out;
    }

    /** Adds the fingerprint to a checkpoint's {@code state.properties}. */
    void store(Properties props) {
        props.setProperty(PARTITIONS, Integer.toString(partitions));
        props.setProperty(ROWS, Long.toString(rows));
        props.setProperty(DATA_HASH, dataHash);
        params.forEach((k, v) -> props.setProperty(PARAM + k, v));
    }

    /** The fingerprint in a checkpoint's properties, or null for a checkpoint written before they were recorded. */
    static RunFingerprint load(Properties props) {
        String partitions = props.getProperty(PARTITIONS);
        if (partitions == null) {
            return null;
        }
        SortedMap<String, String> params = new TreeMap<>();
        for (String key : props.stringPropertyNames()) {
            if (key.startsWith(PARAM)) {
                params.put(key.substring(PARAM.length()), props.getProperty(key));
            }
        }
        return new RunFingerprint(Integer.parseInt(partitions.strip()), Long.parseLong(props.getProperty(ROWS).strip()),
                props.getProperty(DATA_HASH).strip(), params, Set.of());
    }

    /**
     * How {@code now} differs from this (the checkpoint's) fingerprint, one entry per difference as
     * "{@code what: old -> new}"; empty when the run is the same. A changed partition count is reported alone for
     * the data (the shards, and so the data hash, change with it). A Param the checkpoint does not record (one
     * added in a later version) is no difference while the current run leaves it at its default.
     */
    List<String> differences(RunFingerprint now) {
        List<String> out = new ArrayList<>();
        if (partitions != now.partitions) {
            out.add("partition count: " + partitions + " -> " + now.partitions);
        } else if (rows != now.rows || !dataHash.equals(now.dataHash)) {
            out.add("training data: " + rows + " rows (hash " + dataHash + ") -> " + now.rows + " rows (hash "
                    + now.dataHash + ")");
        }
        Set<String> names = new TreeSet<>(params.keySet());
        names.addAll(now.params.keySet());
        for (String name : names) {
            String was = params.get(name);
            String is = now.params.get(name);
            boolean newAtDefault = was == null && now.atDefault.contains(name);
            if (!newAtDefault && !java.util.Objects.equals(was, is)) {
                out.add(name + ": " + (was == null ? "(not recorded)" : was) + " -> " + (is == null ? "(none)" : is));
            }
        }
        return out;
    }
}
