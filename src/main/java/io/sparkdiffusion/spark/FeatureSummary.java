package io.sparkdiffusion.spark;

import io.sparkdiffusion.metrics.ClassTally;
import io.sparkdiffusion.metrics.FeatureMoments;
import io.sparkdiffusion.nn.classifier.FeatureCnnConfig;
import io.sparkdiffusion.nn.classifier.FeatureExtractor;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * What the metrics need from one pass of a feature network over a set of images, computed in partitions and merged
 * by {@code treeAggregate}: the feature moments (double), the class tally when the images carry the label they were
 * drawn for, and the feature rows of the (at most) {@code maxRows} images with the smallest keys, for the k-NN
 * precision and recall. Keys make the kept rows independent of the merge order: a sample's key is its seed (samples
 * are independent draws, so the smallest seeds are a fair sample), an image without one is keyed by a hash of its
 * position (partition, row), which makes the kept rows a uniform sample whatever order the rows are in.
 */
final class FeatureSummary implements Serializable {
    private static final long serialVersionUID = 1L;

    final FeatureMoments moments;
    final ClassTally tally;   // null when the images carry no labels
    private final int maxRows;
    private long[] keys;      // ascending, at most maxRows
    private float[] rows;     // [keys.length, d]

    FeatureSummary(int d, int numClasses, boolean labelled, int maxRows) {
        moments = new FeatureMoments(d);
        tally = labelled ? new ClassTally(numClasses) : null;
        this.maxRows = maxRows;
        keys = new long[0];
        rows = new float[0];
    }

    int dimension() {
        return moments.dimension();
    }

    /** The kept feature rows, {@code [keptRows(), d]}, in key order. */
    float[] keptRows() {
        return rows.clone();
    }

    int keptCount() {
        return keys.length;
    }

    /** Merges {@code other} into this; returns this. */
    FeatureSummary merge(FeatureSummary other) {
        moments.merge(other.moments);
        if (tally != null) {
            tally.merge(other.tally);
        }
        keepSmallest(other.keys, other.rows);
        return this;
    }

    /** Keeps the maxRows smallest keys of this and {@code (k, r)} (both ascending). */
    private void keepSmallest(long[] k, float[] r) {
        int d = dimension();
        int n = Math.min(maxRows, keys.length + k.length);
        long[] outKeys = new long[n];
        float[] outRows = new float[n * d];
        int i = 0;
        int j = 0;
        for (int o = 0; o < n; o++) {
            boolean mine = j >= k.length || (i < keys.length && keys[i] <= k[j]);
            if (mine) {
                outKeys[o] = keys[i];
                System.arraycopy(rows, i * d, outRows, o * d, d);
                i++;
            } else {
                outKeys[o] = k[j];
                System.arraycopy(r, j * d, outRows, o * d, d);
                j++;
            }
        }
        keys = outKeys;
        rows = outRows;
    }

    /**
     * One pass of the feature network over {@code imageCol} of {@code data}.
     *
     * @param labelCol the label column (the class each image was drawn for), or null for none
     * @param keyCol   the key column (e.g. the seed), or null to key by hashed position ({@link #positionKey})
     */
    static FeatureSummary compute(Dataset<Row> data, String imageCol, String labelCol, String keyCol,
                                  Broadcast<float[]> weights, FeatureCnnConfig config,
                                  int maxRows) {
        List<String> cols = new ArrayList<>(List.of(imageCol));
        if (labelCol != null) {
            cols.add(labelCol);
        }
        if (keyCol != null) {
            cols.add(keyCol);
        }
        Dataset<Row> selected = data.selectExpr(cols.stream().map(c -> "`" + c + "`").toArray(String[]::new));
        boolean labelled = labelCol != null;
        boolean keyed = keyCol != null;
        JavaRDD<FeatureSummary> parts = selected.javaRDD().mapPartitions((Iterator<Row> it) -> {
            FeatureExtractor extractor = new FeatureExtractor(config, weights.value());
            FeatureSummary s = new FeatureSummary(config.featureDim(), config.numClasses(), labelled, maxRows);
            long partition = TaskContext.getPartitionId();
            int size = config.imageSize();
            float[] image = new float[size];
            float[] f = new float[config.featureDim()];
            long index = 0;
            // Rows are collected unsorted into room for 2 maxRows; when full, the maxRows smallest keys stay.
            int capacity = 2 * maxRows + 1;
            long[] keys = new long[capacity];
            float[] kept = new float[capacity * f.length];
            int n = 0;
            while (it.hasNext()) {
                Row row = it.next();
                if (!ImageColumns.readTensor(row, 0, image, 0, size, imageCol)) {
                    throw new IllegalArgumentException("image column '" + imageCol + "' holds a null image: every row"
                            + " to evaluate needs an image");
                }
                int predicted = extractor.extract(image, 0, f, 0);
                s.moments.add(f, 0);
                if (labelled) {
                    if (row.isNullAt(1)) {
                        throw new IllegalArgumentException("label column '" + labelCol + "' holds a null: class"
                                + " accuracy needs the class each image was drawn for (clear labelCol for an"
                                + " unconditional model)");
                    }
                    s.tally.add((int) ((Number) row.get(1)).longValue(), predicted);
                }
                keys[n] = keyed ? ((Number) row.get(labelled ? 2 : 1)).longValue() : positionKey(partition, index);
                System.arraycopy(f, 0, kept, n * f.length, f.length);
                n++;
                index++;
                if (n == capacity) {
                    FeatureSummary trimmed = sorted(keys, kept, n, f.length, maxRows);
                    System.arraycopy(trimmed.keys, 0, keys, 0, trimmed.keys.length);
                    System.arraycopy(trimmed.rows, 0, kept, 0, trimmed.rows.length);
                    n = trimmed.keys.length;
                }
            }
            FeatureSummary sortedRows = sorted(keys, kept, n, f.length, maxRows);
            s.keys = sortedRows.keys;
            s.rows = sortedRows.rows;
            return List.of(s).iterator();
        });
        FeatureSummary zero = new FeatureSummary(config.featureDim(), config.numClasses(), labelled, maxRows);
        return parts.treeAggregate(zero, FeatureSummary::merge, FeatureSummary::merge, 2);
    }

    /**
     * The key of row {@code index} of {@code partition} when the data has no key column: the position scrambled by
     * SplitMix64's finalizer, so the kept rows are a uniform sample of the positions. Rows in position order can be
     * far from a uniform sample: {@code randomSplit}, for one, sorts each partition by the row values.
     */
    static long positionKey(long partition, long index) {
        long z = (partition << 32 | index) + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A summary holding only the maxRows smallest of the first n unsorted {@code keys}, with their rows. */
    private static FeatureSummary sorted(long[] keys, float[] rows, int count, int d, int maxRows) {
        Integer[] order = new Integer[count];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(keys[a], keys[b]));
        int n = Math.min(maxRows, count);
        FeatureSummary s = new FeatureSummary(d, 2, false, maxRows);
        s.keys = new long[n];
        s.rows = new float[n * d];
        for (int o = 0; o < n; o++) {
            s.keys[o] = keys[order[o]];
            System.arraycopy(rows, order[o] * d, s.rows, o * d, d);
        }
        return s;
    }
}
