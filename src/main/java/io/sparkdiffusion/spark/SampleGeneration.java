package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.sampling.Sampler;
import io.sparkdiffusion.diffusion.sampling.SamplerSettings;
import io.sparkdiffusion.model.UNetDenoiser;
import io.sparkdiffusion.nn.unet.UNetConfig;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Sampling for one partition of a {@link DiffusionModel}: batches of rows in, rows with their samples out. */
final class SampleGeneration implements MapPartitionsFunction<Row, Row> {
    private final UNetConfig spec;
    private final Parameterization parameterization;
    private final SamplerSettings settings;
    private final Broadcast<float[]> weights;
    private final int seedField;
    private final int labelField;
    private final int numClasses;
    private final int batchSize;
    private final boolean withImage;

    SampleGeneration(UNetConfig spec, Parameterization parameterization, SamplerSettings settings, Broadcast<float[]> weights,
                     int seedField, int labelField, int numClasses, int batchSize, boolean withImage) {
        this.spec = spec;
        this.parameterization = parameterization;
        this.settings = settings;
        this.weights = weights;
        this.seedField = seedField;
        this.labelField = labelField;
        this.numClasses = numClasses;
        this.batchSize = batchSize;
        this.withImage = withImage;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Sampler s = new Sampler(parameterization, settings);
        Denoiser d = new UNetDenoiser(spec, parameterization, weights.value());
        int dim = spec.imageSize();
        return new Iterator<>() {
            private final List<Row> buffer = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                if (next < buffer.size()) {
                    return true;
                }
                buffer.clear();
                next = 0;
                List<Row> batch = new ArrayList<>();
                while (batch.size() < batchSize && rows.hasNext()) {
                    batch.add(rows.next());
                }
                if (batch.isEmpty()) {
                    return false;
                }
                int n = batch.size();
                long[] seeds = new long[n];
                int[] labels = labelField < 0 ? null : new int[n];
                for (int i = 0; i < n; i++) {
                    Row r = batch.get(i);
                    if (r.isNullAt(seedField)) {
                        throw new IllegalArgumentException("seedCol holds a null seed: every row needs a seed");
                    }
                    seeds[i] = ((Number) r.get(seedField)).longValue();
                    if (labels != null) {
                        labels[i] = r.isNullAt(labelField) ? Denoiser.NO_LABEL
                                : (int) ((Number) r.get(labelField)).longValue();
                        if (labels[i] < -1 || labels[i] >= numClasses) {
                            throw new IllegalArgumentException("labelCol holds " + labels[i]
                                    + ", expected a class in [0, " + numClasses + ") or null");
                        }
                    }
                }
                double[] x = s.sample(d, n, dim, seeds, labels);
                for (int i = 0; i < n; i++) {
                    float[] img = new float[dim];
                    for (int j = 0; j < dim; j++) {
                        img[j] = (float) x[i * dim + j];
                    }
                    Row r = batch.get(i);
                    Object[] values = new Object[r.length() + (withImage ? 2 : 1)];
                    for (int k = 0; k < r.length(); k++) {
                        values[k] = r.get(k);
                    }
                    // A Seq, not the float[]: Spark hands these Row objects on unchanged where no conversion is
                        // planned (e.g. foreachPartition right after transform), and Row.getList needs a Seq.
                        values[r.length()] = scala.collection.immutable.ArraySeq.unsafeWrapArray(img);
                    if (withImage) {
                        values[r.length() + 1] = ImageStructs.fromChw(img, spec.imgChannels(), spec.imgResolution());
                    }
                    buffer.add(RowFactory.create(values));
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return buffer.get(next++);
            }
        };
    }
}
