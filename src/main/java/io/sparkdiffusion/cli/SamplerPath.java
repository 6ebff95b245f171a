package io.sparkdiffusion.cli;

import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.EdmParameterization;
import io.sparkdiffusion.diffusion.sampling.Sampler;
import io.sparkdiffusion.diffusion.sampling.SamplerSettings;
import io.sparkdiffusion.nn.unet.UNet;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.model.UNetDenoiser;

import java.util.ArrayList;
import java.util.List;

/**
 * The sampling path a {@code DiffusionModel} runs in each task, without Spark: an EDM sampler, e.g. Heun
 * ({@link Sampler}, Karras et al. 2022, Algorithm 1), with the U-Net as a {@link UNetDenoiser}, one batch of
 * {@code batch} seeds at a time, on {@code unet-small} with PyTorch-default initial weights.
 */
final class SamplerPath {
    private final EdmParameterization parameterization = EdmParameterization.defaults();
    private final SamplerSettings settings;
    private final Sampler sampler;
    private final UNetConfig spec;
    private final float[] weights;
    private final int batch;
    private final long[] seeds;
    private final int[] labels;

    private SamplerPath(UNetConfig spec, float[] weights, int batch, SamplerSettings settings) {
        this.settings = settings;
        this.sampler = new Sampler(parameterization, settings);
        this.spec = spec;
        this.weights = weights;
        this.batch = batch;
        this.seeds = new long[batch];
        int classes = spec.numClasses();
        this.labels = classes == 0 ? null : new int[batch];
        for (int i = 0; i < batch; i++) {
            seeds[i] = i;
            if (labels != null) {
                labels[i] = i % classes;
            }
        }
    }

    /** unet-small on 1x28x28 images with {@code numClasses} classes (0: unconditional), EDM with {@code settings}. */
    static SamplerPath unetSmall(int numClasses, int batch, SamplerSettings settings) {
        UNetConfig config = UNetConfig.small(1, 28, numClasses);
        return new SamplerPath(config, new UNet(config, 0).parameters().values().clone(), batch, settings);
    }

    SamplerSettings settings() {
        return settings;
    }

    double sigmaData() {
        return parameterization.sigmaData();
    }

    UNetConfig spec() {
        return spec;
    }

    float[] weights() {
        return weights;
    }

    int batch() {
        return batch;
    }

    /**
     * Wall seconds of {@code repeats} timed batches after one untimed one; {@code between} (untimed, may be null)
     * runs after each timed batch.
     *
     * @throws IllegalStateException when a batch did not make the sampler's own number of evaluations
     */
    List<Double> batchSeconds(int repeats, Runnable between) {
        List<Double> seconds = new ArrayList<>();
        for (int r = -1; r < repeats; r++) {
            long t0 = System.nanoTime();
            runBatch();
            if (r >= 0) {
                seconds.add((System.nanoTime() - t0) / 1e9);
                if (between != null) {
                    between.run();
                }
            }
        }
        return seconds;
    }

    private void runBatch() {
        UNetDenoiser network = new UNetDenoiser(spec, parameterization, weights);
        int[] calls = new int[1];
        Denoiser counted = (x, sigma, rowLabels, n, dim, out) -> {
            calls[0]++;
            network.denoise(x, sigma, rowLabels, n, dim, out);
        };
        sampler.sample(counted, batch, spec.imageSize(), seeds, labels);
        if (calls[0] != settings.evaluations()) {
            throw new IllegalStateException("Heun with " + settings.numSteps() + " steps made " + calls[0]
                    + " denoiser evaluations, its settings say " + settings.evaluations());
        }
    }
}
