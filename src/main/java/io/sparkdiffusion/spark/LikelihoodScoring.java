package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.Likelihood;
import io.sparkdiffusion.metrics.BitsPerDim;
import io.sparkdiffusion.model.UNetDenoiser;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.diffusion.Parameterization;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Bits per dimension of one partition's real images under a diffusion model ({@link Likelihood}: the
 * probability-flow ODE from {@code sigmaMin} to {@code sigmaMax}, one Rademacher probe per image), as a
 * {@link BitsPerDim.Tally}. Each image must lie on the 8-bit grid {@code 2 k / 255 - 1} (as {@link ImageTensorizer}
 * makes it from 8-bit pixels); it is uniformly dequantized ({@link Likelihood#dequantize}) and its probe drawn, both
 * from the image's seed: {@code keyCol}'s value, or the partition and position when there is no key column.
 */
final class LikelihoodScoring implements FlatMapFunction<Iterator<Row>, BitsPerDim.Tally> {
    private static final long serialVersionUID = 1L;
    /** Images integrated together (one forward and one backward pass of the network per batch and ODE evaluation). */
    static final int BATCH = 8;
    /** How far a pixel may lie from the 8-bit grid (float32 rounding of 2 k / 255 - 1 is about 1e-7). */
    static final double GRID_TOLERANCE = 1e-3;

    private final UNetConfig spec;
    private final Parameterization parameterization;
    private final Broadcast<float[]> weights;
    private final int imageField;
    private final String imageCol;
    private final int labelField;
    private final int keyField;
    private final int numSteps;

    LikelihoodScoring(UNetConfig spec, Parameterization parameterization, Broadcast<float[]> weights, int imageField,
                      String imageCol, int labelField, int keyField, int numSteps) {
        this.spec = spec;
        this.parameterization = parameterization;
        this.weights = weights;
        this.imageField = imageField;
        this.imageCol = imageCol;
        this.labelField = labelField;
        this.keyField = keyField;
        this.numSteps = numSteps;
    }

    @Override
    public Iterator<BitsPerDim.Tally> call(Iterator<Row> rows) {
        Denoiser d = new UNetDenoiser(spec, parameterization, weights.value());
        Likelihood likelihood = new Likelihood(parameterization.sigmaMin(), parameterization.sigmaMax(), numSteps, 1,
                1e-3);
        int dim = spec.imageSize();
        long partition = TaskContext.get() == null ? 0 : TaskContext.getPartitionId();
        BitsPerDim.Tally tally = new BitsPerDim.Tally();
        float[] image = new float[dim];
        double[] x = new double[BATCH * dim];
        int[] labels = labelField < 0 ? null : new int[BATCH];
        long[] seeds = new long[BATCH];
        long position = 0;
        int n = 0;
        while (rows.hasNext()) {
            Row row = rows.next();
            if (!ImageColumns.readTensor(row, imageField, image, 0, dim, imageCol)) {
                throw new IllegalArgumentException("inputCol '" + imageCol + "' holds a null image: drop such rows");
            }
            long seed = keyField < 0 ? (partition << 32) + position : ((Number) row.get(keyField)).longValue();
            position++;
            int[] pixels = eightBit(image, imageCol, seed);
            System.arraycopy(Likelihood.dequantize(pixels, new SplittableRandom(seed)), 0, x, n * dim, dim);
            seeds[n] = ~seed; // the probe's stream, apart from the dequantization's
            if (labels != null) {
                labels[n] = row.isNullAt(labelField) ? Denoiser.NO_LABEL : ((Number) row.get(labelField)).intValue();
            }
            if (++n == BATCH) {
                score(likelihood, d, x, labels, seeds, n, dim, tally);
                n = 0;
            }
        }
        if (n > 0) {
            score(likelihood, d, java.util.Arrays.copyOf(x, n * dim), labels == null ? null
                    : java.util.Arrays.copyOf(labels, n), java.util.Arrays.copyOf(seeds, n), n, dim, tally);
        }
        return List.of(tally).iterator();
    }

    private static void score(Likelihood likelihood, Denoiser d, double[] x, int[] labels, long[] seeds, int n,
                              int dim, BitsPerDim.Tally tally) {
        double[] logp = likelihood.logDensity(d, x, labels, seeds, n, dim);
        for (double v : logp) {
            tally.add(Likelihood.bitsPerDim(v, dim));
        }
    }

    /** The 8-bit values {@code k} of an image {@code 2 k / 255 - 1}; an error when a pixel is off that grid. */
    static int[] eightBit(float[] image, String col, long seed) {
        int[] k = new int[image.length];
        for (int j = 0; j < image.length; j++) {
            double v = (image[j] + 1.0) * 127.5;
            k[j] = (int) Math.round(v);
            if (Math.abs(v - k[j]) > GRID_TOLERANCE * 127.5 || k[j] < 0 || k[j] > 255) {
                throw new IllegalArgumentException("bpd scores 8-bit images: pixel " + j + " of the image with seed "
                        + seed + " in '" + col + "' is " + image[j] + ", not on the grid 2 k / 255 - 1 (k = 0..255) of"
                        + " ImageTensorizer's output from 8-bit pixels (inputMin 0, inputMax 255)");
            }
        }
        return k;
    }
}
