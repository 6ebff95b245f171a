package io.sparkdiffusion.model;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.Preconditioning;
import io.sparkdiffusion.nn.unet.UNet;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

/**
 * A trained U-Net as the sampler's {@link Denoiser}, with the parameterization's preconditioning
 * (Karras et al. 2022, Eq. 7): {@code D(x; sigma) = cSkip x + cOut F(cIn x; cNoise)}. The network runs in
 * float32 on an inference tape; the sampler's state and the skip connection stay in double.
 *
 * <p>Rows go through the network one at a time: BLAS products give bitwise different results for different
 * matrix shapes, so a row evaluated inside a larger batch could differ in the last bits from the same row alone,
 * and a sample would then depend on the batch (and partition) it was drawn in. One row per forward pass keeps
 * every sample a function of its seed and label only.
 *
 * <p>Not thread-safe (one network per thread via a thread-local cache); create one per task.
 */
public final class UNetDenoiser implements Denoiser {
    private final UNetConfig network;
    private final Parameterization parameterization;
    private final float[] weights;

    /** @param weights the flat parameter vector, {@code [numParameters]}; not copied, not modified */
    public UNetDenoiser(UNetConfig network, Parameterization parameterization, float[] weights) {
        this.network = network;
        this.parameterization = parameterization;
        this.weights = weights;
        int expected = NetworkCache.inferenceNet(network).numParameters();
        if (weights.length != expected) {
            throw new IllegalArgumentException("weights hold " + weights.length + " floats, the network " + network
                    + " has " + expected + " parameters");
        }
    }

    @Override
    public void denoise(double[] x, double[] sigma, int[] labels, int n, int dim, double[] out) {
        if (dim != network.imageSize()) {
            throw new IllegalArgumentException("rows hold " + dim + " values, the network expects images of "
                    + network.imageSize());
        }
        UNet net = NetworkCache.inferenceNet(network);
        Tape tape = NetworkCache.inferenceTape(network);
        net.parameters().setValues(weights);
        Shape shape = Shape.of(1, network.imgChannels(), network.imgResolution(), network.imgResolution());
        float[] input = new float[dim];
        for (int i = 0; i < n; i++) {
            Preconditioning pre = parameterization.precondition(sigma[i]);
            int row = i * dim;
            for (int j = 0; j < dim; j++) {
                input[j] = (float) (pre.cIn() * x[row + j]);
            }
            tape.reset();
            Var f = net.forward(tape, new Tensor(input, shape), new float[] {(float) pre.cNoise()},
                    labels == null ? null : new int[] {labels[i]});
            Tensor v = f.value();
            for (int j = 0; j < dim; j++) {
                out[row + j] = pre.cSkip() * x[row + j] + pre.cOut() * v.get(j);
            }
        }
        tape.reset();
    }
}
