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
 * <p>With {@code syncMode gradients} the groups decide the batches, not the partitions: the hash then covers each
 * group's size, images and labels in group order, and the partition count is {@link #ANY_PARTITIONS}, so that a run
 * resumes on more (or fewer) executors and continues the same training, to float rounding.
 *
 * @param partitions the number of partitions (shards) the run trains on, or {@link #ANY_PARTITIONS}
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

    /** The partition count of a grouped run ({@code syncMode gradients}), whose training does not depend on it. */
    static final int ANY_PARTITIONS = 0;

    private static final String PARTITIONS = "fingerprint.partitions";
    private static final String ROWS = "fingerprint.rows";
    private static final String DATA_HASH = "fingerprint.dataHash";
    private static final String PARAM = "fingerprint.param.";

    RunFingerprint {
        params = new TreeMap<>(params);
        atDefault = Set.copyOf(atDefault);
    }

    /**
     * The size and content hash of one cached shard (computed by the task that holds it); for a grouped shard
     * ({@code syncMode gradients}) each of its groups' instead, which {@link #of} hashes in group order ({@code crc}
     * is then 0 and {@code groups} null otherwise).
     */
    @com.esotericsoftware.kryo.DefaultSerializer(com.esotericsoftware.kryo.serializers.JavaSerializer.class) // Kryo cannot fill a record
    record ShardDigest(int size, long crc, GroupDigest[] groups) implements java.io.Serializable {
        ShardDigest(int size, long crc) {
            this(size, crc, null);
        }
    }

    /** The size and content hash of one group of a grouped shard. */
    @com.esotericsoftware.kryo.DefaultSerializer(com.esotericsoftware.kryo.serializers.JavaSerializer.class)
    record GroupDigest(int id, int size, long crc) implements java.io.Serializable {
    }

    /** Each partition's size and content hash, in partition order (one job, which also fills the cache). */
    static List<ShardDigest> digest(JavaRDD<Shard> shards) {
        return shards.map(RunFingerprint::digest).collect();
    }

    /**
     * CRC-32C of the shard's floats (little-endian IEEE bits), then of its labels, if any; for a grouped shard the
     * same of each group's images only (the fingerprint does not use the whole shard's).
     */
    static ShardDigest digest(Shard shard) {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        int[] ids = shard.groupIds();
        if (ids == null) {
            return new ShardDigest(shard.size(), crc(shard, 0, shard.size(), buf));
        }
        int[] starts = shard.groupStarts();
        GroupDigest[] groups = new GroupDigest[ids.length];
        for (int g = 0; g < ids.length; g++) {
            groups[g] = new GroupDigest(ids[g], starts[g + 1] - starts[g], crc(shard, starts[g], starts[g + 1], buf));
        }
        return new ShardDigest(shard.size(), 0, groups);
    }

    /** CRC-32C of images [from, to) of the shard, then of their labels, if any. */
    private static long crc(Shard shard, int from, int to, ByteBuffer buf) {
        CRC32C crc = new CRC32C();
        buf.clear();
        float[] images = shard.images();
        for (int i = from * shard.imageSize(); i < to * shard.imageSize(); i++) {
            if (buf.remaining() < Float.BYTES) {
                crc.update(buf.flip());
                buf.clear();
            }
            buf.putFloat(images[i]);
        }
        int[] labels = shard.labels();
        for (int i = from; labels != null && i < to; i++) {
            if (buf.remaining() < Integer.BYTES) {
                crc.update(buf.flip());
                buf.clear();
            }
            buf.putInt(labels[i]);
        }
        crc.update(buf.flip());
        return crc.getValue();
    }

    /**
     * The fingerprint of a run on shards with these digests, with the trajectory Params of {@code stage}: over the
     * shards in partition order, or, when they are grouped, over the groups in group order with
     * {@link #ANY_PARTITIONS}.
     */
    static RunFingerprint of(List<ShardDigest> shards, Params stage) {
        long rows = 0;
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        boolean grouped = !shards.isEmpty() && shards.stream().allMatch(d -> d.groups() != null);
        if (grouped) {
            List<GroupDigest> groups = new ArrayList<>();
            for (ShardDigest d : shards) {
                rows += d.size();
                groups.addAll(List.of(d.groups()));
            }
            groups.sort(java.util.Comparator.comparingInt(GroupDigest::id));
            for (GroupDigest g : groups) {
                sha.update(("g" + g.id() + ":" + g.size() + ":" + Long.toHexString(g.crc()) + ";")
                        .getBytes(StandardCharsets.UTF_8));
            }
        } else {
            for (ShardDigest d : shards) {
                rows += d.size();
                sha.update((d.size() + ":" + Long.toHexString(d.crc()) + ";").getBytes(StandardCharsets.UTF_8));
            }
        }
        String hash = HexFormat.of().formatHex(sha.digest(), 0, 8);
        SortedMap<String, String> params = trajectoryParams(stage);
        Set<String> atDefault = new TreeSet<>();
        for (Param<?> p : stage.params()) {
            if (params.containsKey(p.name()) && !stage.isSet(p)) {
                atDefault.add(p.name());
            }
        }
        return new RunFingerprint(grouped ? ANY_PARTITIONS : shards.size(), rows, hash, params, atDefault);
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
     * the data (the shards, and so the data hash, change with it); a grouped run has none to change. A Param the
     * checkpoint does not record (one added in a later version) is no difference while the current run leaves it
     * at its default.
     */
    List<String> differences(RunFingerprint now) {
        List<String> out = new ArrayList<>();
        if (partitions != now.partitions) {
            out.add("partition count: " + describe(partitions) + " -> " + describe(now.partitions));
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

    private static String describe(int partitions) {
        return partitions == ANY_PARTITIONS ? "any (syncMode gradients: the groups decide the batches)"
                : Integer.toString(partitions);
    }
}
