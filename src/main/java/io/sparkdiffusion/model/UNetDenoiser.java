package io.sparkdiffusion.model;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.DenoiserJacobian;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.Preconditioning;
import io.sparkdiffusion.nn.unet.UNet;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import io.sparkdiffusion.tensor.kernels.Conv2d;

/**
 * A trained U-Net as the sampler's {@link Denoiser}, with the parameterization's preconditioning
 * (Karras et al. 2022, Eq. 7): {@code D(x; sigma) = cSkip x + cOut F(cIn x; cNoise)}. The network runs in
 * float32 on an inference tape; the sampler's state and the skip connection stay in double.
 *
 * <p>All {@code n} rows of a call go through the network in one forward pass. Every forward kernel gives a row
 * the same bits whatever else is in the batch (the vector convolutions, {@code Linear}'s fixed-order rows,
 * attention's per-image products of fixed shapes, per-row GroupNorm), so a sample stays a function of its seed
 * and label only, whatever batch or partition it is drawn in. Without the vector convolutions
 * ({@link Conv2d#batchInvariant()} false: the JVM lacks {@code jdk.incubator.vector}) a GEMM's rounding would
 * depend on the batch, so rows then go through one at a time, and the constructor logs that once per JVM.
 *
 * <p>Buffers (the float input, noise levels, labels, the tape's activations) are reused from call to call, and
 * the weights are copied into this thread's network only when another weight array was loaded since.
 *
 * <p>{@link #jacobianQuadraticForm} gives {@code v^T (dD/dx) v = cSkip |v|^2 + cOut cIn v . (dF/du)^T v} (u the
 * network input) from one backward pass of a recording tape, for the likelihood's trace estimator.
 *
 * <p>Not thread-safe (one network per thread via a thread-local cache); create one per task.
 */
public final class UNetDenoiser implements DenoiserJacobian {
    private static final System.Logger LOG = System.getLogger(UNetDenoiser.class.getName());
    private static final boolean BATCHED = logRowsPerPass();

    private final UNetConfig network;
    private final Parameterization parameterization;
    private final float[] weights;
    private float[] input = new float[0];   // [rows, dim]: cIn x of the rows in one pass
    private float[] cNoise = new float[0];  // [rows]
    private int[] rowLabels;                // [rows], or null before the first call with labels

    /**
     * @param weights the flat parameter vector, {@code [numParameters]}; not copied, not modified, and must not
     *                change while this denoiser is in use
     */
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

    /** True when a call's rows share forward passes (the forward kernels are batch invariant), false for one row per pass. */
    public static boolean batched() {
        return BATCHED;
    }

    private static boolean logRowsPerPass() {
        boolean batched = Conv2d.batchInvariant();
        LOG.log(System.Logger.Level.INFO, batched
                ? "spark-diffusion sampling: all rows of a sampler batch in one forward pass (batch-invariant kernels)"
                : "spark-diffusion sampling: one row per forward pass, because the GEMM convolutions round differently"
                        + " for different batch sizes; start the JVM with --add-modules=jdk.incubator.vector to batch");
        return batched;
    }

    @Override
    public void denoise(double[] x, double[] sigma, int[] labels, int n, int dim, double[] out) {
        if (dim != network.imageSize()) {
            throw new IllegalArgumentException("rows hold " + dim + " values, the network expects images of "
                    + network.imageSize());
        }
        UNet net = NetworkCache.inferenceNet(network, weights);
        Tape tape = NetworkCache.inferenceTape(network);
        int rows = BATCHED ? n : 1;
        if (cNoise.length != rows) {
            input = new float[rows * dim];
            cNoise = new float[rows];
            rowLabels = labels == null ? null : new int[rows];
        }
        if (labels != null && rowLabels == null) {
            rowLabels = new int[rows];
        }
        Shape shape = Shape.of(rows, network.imgChannels(), network.imgResolution(), network.imgResolution());
        for (int first = 0; first < n; first += rows) {
            for (int i = 0; i < rows; i++) {
                Preconditioning pre = parameterization.precondition(sigma[first + i]);
                int row = (first + i) * dim;
                for (int j = 0; j < dim; j++) {
                    input[i * dim + j] = (float) (pre.cIn() * x[row + j]);
                }
                cNoise[i] = (float) pre.cNoise();
                if (labels != null) {
                    rowLabels[i] = labels[first + i];
                }
            }
            tape.reset();
            Var f = net.forward(tape, new Tensor(input, shape), cNoise, labels == null ? null : rowLabels);
            Tensor v = f.value();
            for (int i = 0; i < rows; i++) {
                Preconditioning pre = parameterization.precondition(sigma[first + i]);
                int row = (first + i) * dim;
                for (int j = 0; j < dim; j++) {
                    out[row + j] = pre.cSkip() * x[row + j] + pre.cOut() * v.get(i * dim + j);
                }
            }
        }
        tape.reset();
    }

    @Override
    public void jacobianQuadraticForm(double[] x, double[] sigma, int[] labels, int n, int dim, double[] v,
                                      double[] out) {
        if (dim != network.imageSize()) {
            throw new IllegalArgumentException("rows hold " + dim + " values, the network expects images of "
                    + network.imageSize());
        }
        UNet net = NetworkCache.trainingNet(network);
        Tape tape = NetworkCache.trainingTape(network);
        net.parameters().setValues(weights);
        Shape shape = Shape.of(1, network.imgChannels(), network.imgResolution(), network.imgResolution());
        for (int i = 0; i < n; i++) {
            Preconditioning pre = parameterization.precondition(sigma[i]);
            int row = i * dim;
            float[] input = new float[dim];
            for (int j = 0; j < dim; j++) {
                input[j] = (float) (pre.cIn() * x[row + j]);
            }
            tape.reset();
            net.parameters().zeroGrads();
            Var u = tape.input(new Tensor(input, shape));
            Var f = net.forward(tape, u, new float[] {(float) pre.cNoise()},
                    labels == null ? null : new int[] {labels[i]});
            // mse(f, t) has gradient 2 (f - t) / dim; with t = f - v dim / 2 that gradient is v, so backward gives
            // the vector-Jacobian product (dF/du)^T v in u's grad.
            float[] target = new float[dim];
            for (int j = 0; j < dim; j++) {
                target[j] = (float) (f.value().get(j) - v[row + j] * dim / 2.0);
            }
            tape.backward(tape.mse(f, new Tensor(target, shape)));
            Tensor g = u.grad();
            double vv = 0;
            double vJv = 0;
            for (int j = 0; j < dim; j++) {
                vv += v[row + j] * v[row + j];
                vJv += v[row + j] * g.get(j);
            }
            out[i] = pre.cSkip() * vv + pre.cOut() * pre.cIn() * vJv;
        }
        tape.reset();
    }
}
