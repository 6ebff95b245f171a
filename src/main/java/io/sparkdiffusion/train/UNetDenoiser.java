package io.sparkdiffusion.train;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.Preconditioning;
import io.sparkdiffusion.nn.unet.UNet;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

/**
 * A trained U-Net as the sampler's {@link Denoiser}, with the parameterization's preconditioning
 * (Karras et al. 2022, Eq. 7): {@code D(x; sigma) = cSkip x + cOut F(cIn x; cNoise)}. The network runs in
 * float32 on an inference tape; the sampler's state and the skip connection stay in double.
 *
 * <p>Not thread-safe (one network per thread via a thread-local cache); create one per task.
 */
public final class UNetDenoiser implements Denoiser {
    private final NetworkSpec network;
    private final Parameterization parameterization;
    private final float[] weights;

    /** @param weights the flat parameter vector, {@code [numParameters]}; not copied, not modified */
    public UNetDenoiser(NetworkSpec network, Parameterization parameterization, float[] weights) {
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
        Preconditioning[] pre = new Preconditioning[n];
        float[] input = new float[n * dim];
        float[] cNoise = new float[n];
        for (int i = 0; i < n; i++) {
            pre[i] = parameterization.precondition(sigma[i]);
            cNoise[i] = (float) pre[i].cNoise();
            for (int j = i * dim, end = j + dim; j < end; j++) {
                input[j] = (float) (pre[i].cIn() * x[j]);
            }
        }
        UNet net = NetworkCache.inferenceNet(network);
        Tape tape = NetworkCache.inferenceTape(network);
        net.parameters().setValues(weights);
        tape.reset();
        Shape shape = Shape.of(n, network.imgChannels(), network.imgResolution(), network.imgResolution());
        Var f = net.forward(tape, new Tensor(input, shape), cNoise, labels);
        Tensor v = f.value();
        for (int i = 0; i < n; i++) {
            for (int j = i * dim, end = j + dim; j < end; j++) {
                out[j] = pre[i].cSkip() * x[j] + pre[i].cOut() * v.get(j);
            }
        }
        tape.reset();
    }
}
