package io.sparkdiffusion.autograd;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import io.sparkdiffusion.tensor.kernels.GroupNormSilu;
import io.sparkdiffusion.tensor.kernels.TransformedWeights;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Reverse-mode automatic differentiation over the kernels of {@code tensor.kernels}, one tape per thread.
 *
 * <p>Each op computes its value at once (eager), and when a gradient can flow through it records a closure
 * that calls the op's backward kernel. {@link #backward} seeds d loss / d loss = 1 and runs the closures in
 * reverse creation order, which is a reverse topological order. Gradients accumulate: a Var used twice
 * receives both contributions, and a {@link #parameter} adds into the caller's grad view.
 *
 * <p>Values, gradients and saved state come from a pool owned by the tape; {@link #reset()} forgets every
 * node and returns the buffers, so steady-state steps allocate no large arrays. A tape made by
 * {@link #inference()} records nothing and saves nothing for backward, and keeps its convolutions' transformed
 * weights from one pass to the next ({@link TransformedWeights}). Not thread-safe.
 */
public final class Tape {
    private final boolean recording;
    private final BufferPool pool = new BufferPool();
    private final List<Var> nodes = new ArrayList<>();
    private float[] scratch = new float[0];
    private GroupNormSilu.Scratch groupNormSiluScratch;
    /** Inference only: the convolutions' transformed weights, kept across passes (see TransformedWeights). */
    private final TransformedWeights transformedWeights;
    private long generation;
    private boolean backwardDone;

    /** A recording tape (training). */
    public Tape() {
        this(true);
    }

    private Tape(boolean recording) {
        this.recording = recording;
        this.transformedWeights = recording ? null : TransformedWeights.ofHeapShare();
    }

    /** A tape for forward passes only (sampling): no gradients, no saved state, same pooling. */
    public static Tape inference() {
        return new Tape(false);
    }

    /** True for a training tape, false for {@link #inference()}. */
    public boolean isRecording() {
        return recording;
    }

    long generation() {
        return generation;
    }

    // ---------------------------------------------------------------- leaves

    /** A value without gradient (data, targets, embeddings computed outside the graph). */
    public Var constant(Tensor value) {
        return new Var(this, value, null, false);
    }

    /** A leaf whose gradient is wanted; its zeroed grad is owned by the tape (read it after backward). */
    public Var input(Tensor value) {
        if (!recording) {
            return constant(value);
        }
        return new Var(this, value, pooled(value.shape(), true), true);
    }

    /**
     * A trainable leaf: backward ADDS d loss / d value into {@code grad} (a view into the caller's flat gradient
     * buffer, zeroed by the caller when it wants a fresh gradient). {@code grad} may be null on an inference tape.
     */
    public Var parameter(Tensor value, Tensor grad) {
        if (!recording) {
            return constant(value);
        }
        if (grad == null) {
            throw new IllegalArgumentException("parameter grad: a recording tape needs a grad view, got null");
        }
        grad.shape().require(value.shape(), "parameter grad shape (must equal the value's shape)");
        return new Var(this, value, grad, true);
    }

    // ---------------------------------------------------------------- ops (bodies in LayerOps, PointwiseOps)

    /**
     * 2-D convolution. x [N, Cin, H, W], weight [Cout, Cin, kh, kw], bias [Cout] or null; returns
     * [N, Cout, H', W'] with H' = (H + 2 padding - kh) / stride + 1 (W' likewise).
     */
    public Var conv2d(Var x, Var weight, Var bias, int stride, int padding) {
        return LayerOps.conv2d(this, x, weight, bias, stride, padding);
    }

    /**
     * {@code addPerChannel(conv2d(x, weight, bias, stride, padding), e)} in one op, e [N, Cout]: e is added to the
     * convolution's output in place, so the tape keeps one activation instead of two (the convolution's backward
     * needs only its output's gradient). The same bits, values and gradients, as the two ops.
     */
    public Var conv2dAddPerChannel(Var x, Var weight, Var bias, int stride, int padding, Var e) {
        return LayerOps.conv2dAddPerChannel(this, x, weight, bias, stride, padding, e);
    }

    /**
     * {@code addScaled(conv2d(x, weight, bias, stride, padding), r, s)} in one op (a residual join after a
     * convolution), r of the convolution's output shape: one activation instead of two, the same bits as the
     * two ops (and as {@code addScaled(r, conv2d(...), s)}: the sum is the same either way round).
     */
    public Var conv2dAddScaled(Var x, Var weight, Var bias, int stride, int padding, Var r, float s) {
        return LayerOps.conv2dAddScaled(this, x, weight, bias, stride, padding, r, s);
    }

    /** Fully connected layer. x [N, in], weight [out, in] (PyTorch layout), bias [out] or null; returns [N, out]. */
    public Var linear(Var x, Var weight, Var bias) {
        return LayerOps.linear(this, x, weight, bias);
    }

    /** Group normalization of x [N, C, ...] over {@code groups} groups of channels; gamma, beta [C]. */
    public Var groupNorm(Var x, Var gamma, Var beta, int groups, float eps) {
        return LayerOps.groupNorm(this, x, gamma, beta, groups, eps);
    }

    /**
     * {@code silu(groupNorm(x, gamma, beta, groups, eps))} in one fused op, same arguments and checks as
     * {@link #groupNorm}: saves only the per-group mean and rstd (not the normalized tensor or its sigmoid) and
     * recomputes them in backward.
     */
    public Var groupNormSilu(Var x, Var gamma, Var beta, int groups, float eps) {
        return LayerOps.groupNormSilu(this, x, gamma, beta, groups, eps);
    }

    /**
     * {@code conv2d(groupNormSilu(x, gamma, beta, groups, eps), weight, bias, stride, padding)} in one op: where
     * the convolution runs on the vector engine's shifted products and this tape records, the normalization writes
     * straight into its padded input, which the tape keeps instead of the normalized activation, and the backward
     * reads the convolution's input gradient in that layout (see {@code NormSiluConv}); elsewhere the two ops. The
     * same bits, values and gradients, either way.
     */
    public Var groupNormSiluConv2d(Var x, Var gamma, Var beta, int groups, float eps, Var weight, Var bias,
                                   int stride, int padding) {
        return LayerOps.normSiluConv2d(this, "groupNormSiluConv2d", x, gamma, beta, groups, eps, weight, bias,
                stride, padding, LayerOps.Join.NONE);
    }

    /** {@link #groupNormSiluConv2d} then {@code + e[:, :, None, None]} as in {@link #conv2dAddPerChannel}. */
    public Var groupNormSiluConv2dAddPerChannel(Var x, Var gamma, Var beta, int groups, float eps, Var weight,
                                                Var bias, int stride, int padding, Var e) {
        return LayerOps.normSiluConv2d(this, "groupNormSiluConv2dAddPerChannel", x, gamma, beta, groups, eps,
                weight, bias, stride, padding, LayerOps.Join.perChannel(e));
    }

    /** {@link #groupNormSiluConv2d} then the residual join {@code s (y + r)} as in {@link #conv2dAddScaled}. */
    public Var groupNormSiluConv2dAddScaled(Var x, Var gamma, Var beta, int groups, float eps, Var weight,
                                            Var bias, int stride, int padding, Var r, float s) {
        return LayerOps.normSiluConv2d(this, "groupNormSiluConv2dAddScaled", x, gamma, beta, groups, eps, weight,
                bias, stride, padding, LayerOps.Join.scaled(r, s));
    }

    /** SiLU, {@code x * sigmoid(x)}, elementwise. */
    public Var silu(Var x) {
        return PointwiseOps.silu(this, x);
    }

    /** a + b, same shape. */
    public Var add(Var a, Var b) {
        return PointwiseOps.add(this, a, b);
    }

    /** s (a + b), same shape, in one pass (a residual join); the same bits as {@code scale(add(a, b), s)}. */
    public Var addScaled(Var a, Var b, float s) {
        return PointwiseOps.addScaled(this, a, b, s);
    }

    /** x [N, C, ...] plus e [N, C] broadcast over the remaining axes ({@code x + e[:, :, None, None]}). */
    public Var addPerChannel(Var x, Var e) {
        return PointwiseOps.addPerChannel(this, x, e);
    }

    /** s * x. */
    public Var scale(Var x, float s) {
        return PointwiseOps.scale(this, x, s);
    }

    /**
     * Single-head self-attention. qkv [N, 3C, H, W] (q = channels [0, C), k = [C, 2C), v = [2C, 3C)) returns
     * a [N, C, H, W] with a[:, c, q] = sum_k softmax_k(sum_c' q[c', q] k[c', k] / sqrt(C)) v[c, k].
     */
    public Var attention(Var qkv) {
        return LayerOps.attention(this, qkv);
    }

    /** Nearest-neighbour upsampling x2: [N, C, H, W] -> [N, C, 2H, 2W]. */
    public Var upsampleNearest2x(Var x) {
        return PointwiseOps.upsampleNearest2x(this, x);
    }

    /**
     * {@code conv2d(upsampleNearest2x(x), weight, bias, 1, 1)} in one op, weight {@code [Cout, Cin, 3, 3]}:
     * {@code [N, Cin, H, W] -> [N, Cout, 2H, 2W]} without forming the upsampled image. Each of the output's four
     * phases (row and column parity) is a 2x2 convolution of x whose taps are sums of the 3x3 taps
     * ({@link io.sparkdiffusion.tensor.kernels.UpsampleConv}): 4 multiply-adds per output and channel pair instead
     * of 9. The rounding differs from the two ops' by the summed taps (a few 1e-7 relative); on the vector engine a
     * row's output stays the same bits whatever else is in the batch. Where the upsampled convolution runs on
     * Winograd F(4x4, 3x3) (2.25 multiply-adds per output) it is the two ops instead
     * ({@link io.sparkdiffusion.tensor.kernels.UpsampleConv#fuses}).
     */
    public Var upsampleNearest2xConv3x3(Var x, Var weight, Var bias) {
        return LayerOps.upsampleNearest2xConv3x3(this, x, weight, bias);
    }

    /** Channel concatenation [a, b]: a [N, Ca, H, W], b [N, Cb, H, W] -> [N, Ca + Cb, H, W]. */
    public Var concatChannels(Var a, Var b) {
        return PointwiseOps.concatChannels(this, a, b);
    }

    /** Inverted dropout with probability p in [0, 1) and a mask drawn from {@code seed}; p = 0 returns x. */
    public Var dropout(Var x, float p, long seed) {
        return PointwiseOps.dropout(this, x, p, seed);
    }

    /** {@link #dropout} row by row: row b of x (its first dimension) draws its mask from {@code seeds[b]}. */
    public Var dropoutRows(Var x, float p, long[] seeds) {
        return PointwiseOps.dropoutRows(this, x, p, seeds);
    }

    /** Mean squared error against a constant target of the same shape, as F.mse_loss; returns shape [1]. */
    public Var mse(Var y, Tensor target) {
        return mse(y, target, null);
    }

    /**
     * Per-sample weighted mean squared error: {@code (1/size) sum_n w[n] sum_m (y[n,m] - t[n,m])^2} for y, target
     * [N, ...] and sampleWeight [N] (null = all ones, plain MSE); returns shape [1].
     */
    public Var mse(Var y, Tensor target, Tensor sampleWeight) {
        return PointwiseOps.mse(this, y, target, sampleWeight);
    }

    /**
     * Mean softmax cross-entropy of logits [N, C] against {@code labels} [N] in [0, C), as F.cross_entropy;
     * returns shape [1].
     */
    public Var softmaxCrossEntropy(Var logits, int[] labels) {
        return PointwiseOps.softmaxCrossEntropy(this, logits, labels);
    }

    /** The same values under another shape of equal size (no copy of the value). */
    public Var reshape(Var x, Shape shape) {
        return PointwiseOps.reshape(this, x, shape);
    }

    // ---------------------------------------------------------------- backward, reset, pooling

    /** Seeds d loss / d loss = 1 and back-propagates through every recorded op, newest first. */
    public void backward(Var scalarLoss) {
        Checks.owned(this, scalarLoss, "backward loss");
        if (!recording) {
            throw new IllegalStateException("backward needs a recording tape; this one was made by Tape.inference()");
        }
        if (scalarLoss.shape().size() != 1) {
            throw new IllegalArgumentException("backward loss: expected a single value ([1]), got "
                    + scalarLoss.shape());
        }
        if (!scalarLoss.requiresGrad) {
            throw new IllegalArgumentException("backward loss: does not depend on any input or parameter");
        }
        if (backwardDone) {
            throw new IllegalStateException("backward already ran on this tape; call reset() before the next step");
        }
        backwardDone = true;
        gradIfWanted(scalarLoss).set(0, 1f);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Var node = nodes.get(i);
            if (node.grad != null) {
                node.backward.run();
                // Nothing reads an intermediate gradient once it has been pushed to the inputs.
                pool.giveBack(node.grad.data());
                node.grad = null;
            }
        }
    }

    /** Forgets every node; all pooled buffers (values, gradients, saved state) are reused by the next step. */
    public void reset() {
        nodes.clear();
        pool.releaseAll();
        generation++;
        backwardDone = false;
    }

    /**
     * Inference only: a mark for {@link #releaseSince}, so a forward pass can free a block's intermediates as
     * soon as the block's output exists (sampling at large batch keeps memory to a few activations).
     */
    public int mark() {
        if (recording) {
            throw new IllegalStateException("mark/releaseSince is for inference tapes: backward needs every value");
        }
        return pool.mark();
    }

    /**
     * Inference only: returns to the pool every buffer taken since {@code mark}, except the values of
     * {@code keep}. Vars created since the mark (other than {@code keep}) must not be used afterwards.
     */
    public void releaseSince(int mark, Var... keep) {
        mark();
        IdentityHashMap<float[], Boolean> kept = new IdentityHashMap<>();
        for (Var v : keep) {
            kept.put(v.value().data(), Boolean.TRUE);
        }
        pool.releaseSince(mark, kept);
    }

    /** Fresh float arrays this tape has allocated so far; stays constant across identical steady-state steps. */
    public long allocatedArrays() {
        return pool.allocatedArrays();
    }

    /** Floats in the arrays counted by {@link #allocatedArrays()}. */
    public long allocatedFloats() {
        return pool.allocatedFloats();
    }

    Var output(Shape shape, Var... inputs) {
        boolean wants = false;
        for (Var in : inputs) {
            if (in != null) {
                Checks.owned(this, in, "op input");
                wants |= in.requiresGrad;
            }
        }
        return new Var(this, pooled(shape, false), null, wants && recording);
    }

    void record(Var y, Runnable backward) {
        if (y.requiresGrad) {
            y.backward = backward;
            nodes.add(y);
        }
    }

    private Tensor pooled(Shape shape, boolean zeroed) {
        int size = shape.size();
        return new Tensor(zeroed ? pool.takeZeroed(size) : pool.take(size), 0, shape);
    }

    /** v's gradient buffer (zeroed on first use), or null when no gradient flows to v. */
    Tensor gradIfWanted(Var v) {
        if (v == null || !v.requiresGrad) {
            return null;
        }
        if (v.grad == null) {
            // Only intermediate nodes get here: leaves receive their grad when created.
            v.grad = new Tensor(pool.takeLooseZeroed(v.shape().size()), 0, v.shape());
        }
        return v.grad;
    }

    /**
     * v's gradient for an op that writes every element of it, or null when no gradient flows to v. When no
     * gradient has reached v yet, a buffer that is not zeroed and {@code set} true: the op writes its values
     * instead of adding them (the values of adding to zeros, but for the sign of a zero where a copy keeps a -0
     * that {@code 0 + -0} made +0; without zeroing and reading the buffer: about a quarter of a GB per
     * unet-small step at batch 64). Else v's gradient so far and {@code set} false. An op
     * asks for one input's gradient at a time and writes it before asking for the next (two inputs may be the
     * same Var).
     */
    GradOut gradOut(Var v) {
        if (v == null || !v.requiresGrad) {
            return null;
        }
        if (v.grad == null) {
            // Only intermediate nodes get here: leaves receive their grad when created.
            v.grad = new Tensor(pool.takeLoose(v.shape().size()), 0, v.shape());
            return new GradOut(v.grad, true);
        }
        return new GradOut(v.grad, false);
    }

    /** A gradient buffer and whether the op sets it (nothing reached it yet) or adds to it: {@link #gradOut}. */
    record GradOut(Tensor grad, boolean set) {
    }

    /** A pooled array for state an op saves for its backward (released by reset). */
    float[] saved(int size) {
        return pool.take(size);
    }

    /** One scratch array shared by all ops (single-threaded), grown on demand. */
    float[] scratch(int size) {
        if (scratch.length < size) {
            scratch = new float[size];
            pool.countAllocation(size);
        }
        return scratch;
    }

    /**
     * Where an inference tape keeps its convolutions' transformed weights across passes (a sampler runs the same
     * weights at every step); null on a recording tape, whose weights change every step.
     */
    TransformedWeights transformedWeights() {
        return transformedWeights;
    }

    /** The rows groupNormSilu works in (single-threaded, shared by all its calls), grown on demand. */
    GroupNormSilu.Scratch groupNormSiluScratch(int c, int hw, int groups) {
        GroupNormSilu.Scratch s = groupNormSiluScratch;
        if (s == null || !s.fits(c, hw, groups)) {
            // Grow to the largest row and group seen, so alternating shapes do not reallocate.
            int row = Math.max(hw, s == null ? 0 : s.rowLength());
            int group = Math.max(c / groups * hw, s == null ? 0 : s.groupLength());
            s = new GroupNormSilu.Scratch(row, group);
            groupNormSiluScratch = s;
            for (int i = 0; i < 3; i++) {
                pool.countAllocation(row);
            }
            pool.countAllocation(group);
        }
        return s;
    }

    /** The value of an optional input (a bias nobody gave), or null. */
    static Tensor value(Var v) {
        return v == null ? null : v.value();
    }

    static float[] data(Tensor t) {
        return t == null ? null : t.data();
    }

    static int offset(Tensor t) {
        return t == null ? 0 : t.offset();
    }
}
