package io.sparkdiffusion.train;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.nn.DropoutDraw;
import io.sparkdiffusion.model.NetworkCache;
import io.sparkdiffusion.nn.unet.UNet;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * The denoising loss of Karras et al. 2022 (Eq. 8) for a U-Net under a parameterization's preconditioning:
 * for each image {@code y} of the batch, {@code sigma ~ p_train}, {@code n ~ N(0, I)}, and the raw network
 * {@code F(cIn (y + sigma n); cNoise)} regresses {@code (y - cSkip (y + sigma n)) / cOut} with plain MSE
 * ({@link Parameterization#trainingExample}), each example weighted by
 * {@link Parameterization#networkLossWeight} {@code = lambda(sigma) cOut^2}, so this is the weighted denoiser loss
 * (the weight is 1, plain MSE, except for VP or VE with EDM's {@code lambda}). Labels are replaced by "no label" with probability {@code labelDropout}, which trains the
 * unconditional model classifier-free guidance needs.
 *
 * <p>Draws from the step's stream, image by image: {@code sigma}, then (labelled data only) the dropout
 * uniform, then {@code n} in index order; finally one long for the network's dropout mask. With one stream per row
 * (syncMode gradients) each row draws the same from its own stream, and the dropout seed is given.
 */
public final class DiffusionObjective implements Objective {
    private final UNetConfig network;
    private final Parameterization param;
    private final double labelDropout;

    public DiffusionObjective(UNetConfig network, Parameterization parameterization, double labelDropout) {
        if (!(labelDropout >= 0 && labelDropout <= 1)) {
            throw new IllegalArgumentException("labelDropout must be in [0, 1], got " + labelDropout);
        }
        this.network = network;
        this.param = parameterization;
        this.labelDropout = labelDropout;
    }

    public UNetConfig network() {
        return network;
    }

    public Parameterization parameterization() {
        return param;
    }

    @Override
    public int numParameters() {
        return NetworkCache.trainingNet(network).numParameters();
    }

    /** The U-Net's own seeded initialization (PyTorch defaults, {@link io.sparkdiffusion.nn.ParameterStore}). */
    @Override
    public void initialize(float[] params, long seed) {
        float[] init = new UNet(network, seed).parameters().values();
        System.arraycopy(init, 0, params, 0, params.length);
    }

    @Override
    public double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom random) {
        return lossAndGradient(params, grads, batch, b -> random, false);
    }

    /**
     * Row {@code b}'s draws from {@code rowRandoms[b]}: its noise level, label dropout and noise, then the seed of
     * its own dropout masks ({@link DropoutDraw#rows}).
     */
    @Override
    public double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom[] rowRandoms) {
        if (rowRandoms.length != batch.size()) {
            throw new IllegalArgumentException("rowRandoms holds " + rowRandoms.length + " streams for a batch of "
                    + batch.size() + " images");
        }
        return lossAndGradient(params, grads, batch, b -> rowRandoms[b], true);
    }

    /**
     * The loss and gradient of a batch, row b's draws from {@code rowRandom.apply(b)}; the dropout masks from one
     * seed drawn after all rows (batch overload), or, {@code perRow}, from a seed per row drawn after its noise.
     */
    private double lossAndGradient(float[] params, float[] grads, Batch batch, IntFunction<SplittableRandom> rowRandom,
                                   boolean perRow) {
        int n = batch.size();
        int dim = network.imageSize();
        if (batch.imageSize() != dim) {
            throw new IllegalArgumentException("batch images hold " + batch.imageSize() + " floats, the network expects "
                    + dim);
        }
        float[] netInput = new float[n * dim];
        float[] target = new float[n * dim];
        float[] cNoise = new float[n];
        float[] weight = new float[n];  // [n]: lambda(sigma) cOut^2 per example
        boolean weighted = false;
        int[] labels = batch.labels() == null ? null : new int[n];
        long[] rowDropout = perRow ? new long[n] : null;
        float[] y = new float[dim];
        float[] noise = new float[dim];
        float[] in = new float[dim];
        float[] t = new float[dim];
        for (int b = 0; b < n; b++) {
            SplittableRandom random = rowRandom.apply(b);
            System.arraycopy(batch.images(), b * dim, y, 0, dim);
            double sigma = param.sampleTrainingSigma(random);
            weight[b] = (float) param.networkLossWeight(sigma);
            weighted |= weight[b] != 1f;
            if (labels != null) {
                boolean drop = random.nextDouble() < labelDropout;
                labels[b] = drop ? Denoiser.NO_LABEL : batch.labels()[b];
            }
            for (int j = 0; j < dim; j++) {
                noise[j] = (float) random.nextGaussian();
            }
            if (perRow) {
                rowDropout[b] = random.nextLong();
            }
            cNoise[b] = (float) param.trainingExample(y, noise, sigma, in, t);
            System.arraycopy(in, 0, netInput, b * dim, dim);
            System.arraycopy(t, 0, target, b * dim, dim);
        }
        DropoutDraw dropout = perRow ? DropoutDraw.rows(rowDropout) : new DropoutDraw(rowRandom.apply(0).nextLong());

        UNet net = NetworkCache.trainingNet(network);
        Tape tape = NetworkCache.trainingTape(network);
        net.parameters().setValues(params);
        net.parameters().zeroGrads();
        tape.reset();
        Shape shape = Shape.of(n, network.imgChannels(), network.imgResolution(), network.imgResolution());
        Var out = net.forward(tape, tape.constant(new Tensor(netInput, shape)), cNoise, labels, dropout);
        // Plain MSE when every weight is 1, so that the paper recipes keep their exact arithmetic.
        Var loss = tape.mse(out, new Tensor(target, shape), weighted ? new Tensor(weight, Shape.of(n)) : null);
        tape.backward(loss);
        double value = loss.value().get(0);
        System.arraycopy(net.parameters().grads(), 0, grads, 0, grads.length);
        tape.reset();
        return value;
    }
}
