package io.sparkdiffusion.autograd;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import io.sparkdiffusion.tensor.kernels.Add;
import io.sparkdiffusion.tensor.kernels.AddPerChannel;
import io.sparkdiffusion.tensor.kernels.Attention;
import io.sparkdiffusion.tensor.kernels.ConcatChannels;
import io.sparkdiffusion.tensor.kernels.Conv2d;
import io.sparkdiffusion.tensor.kernels.Dropout;
import io.sparkdiffusion.tensor.kernels.GroupNorm;
import io.sparkdiffusion.tensor.kernels.Linear;
import io.sparkdiffusion.tensor.kernels.Mse;
import io.sparkdiffusion.tensor.kernels.Scale;
import io.sparkdiffusion.tensor.kernels.Silu;
import io.sparkdiffusion.tensor.kernels.UpsampleNearest2x;
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
 * {@link #inference()} records nothing and saves nothing for backward. Not thread-safe.
 */
public final class Tape {
    private final boolean recording;
    private final BufferPool pool = new BufferPool();
    private final List<Var> nodes = new ArrayList<>();
    private float[] scratch = new float[0];
    private long generation;
    private boolean backwardDone;

    /** A recording tape (training). */
    public Tape() {
        this(true);
    }

    private Tape(boolean recording) {
        this.recording = recording;
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

    // ---------------------------------------------------------------- ops

    /**
     * 2-D convolution. x [N, Cin, H, W], weight [Cout, Cin, kh, kw], bias [Cout] or null; returns
     * [N, Cout, H', W'] with H' = (H + 2 padding - kh) / stride + 1 (W' likewise).
     */
    public Var conv2d(Var x, Var weight, Var bias, int stride, int padding) {
        Shape xs = Checks.rank(this, x, 4, "conv2d input", "[N, Cin, H, W]");
        Shape ws = Checks.rank(this, weight, 4, "conv2d weight", "[Cout, Cin, kh, kw] with Cin = " + xs.dim(1));
        Checks.dim(ws, 1, xs.dim(1), "conv2d weight", "[Cout, Cin, kh, kw] with Cin = " + xs.dim(1));
        if (bias != null) {
            Checks.exact(this, bias, Shape.of(ws.dim(0)), "conv2d bias");
        }
        Conv2d.Geometry g = new Conv2d.Geometry(xs.dim(0), xs.dim(1), xs.dim(2), xs.dim(3), ws.dim(0), ws.dim(2),
                ws.dim(3), stride, padding);
        Var y = output(Shape.of(g.n(), g.cout(), g.ho(), g.wo()), x, weight, bias);
        Tensor w = weight.value();
        Conv2d.forward(g, x.value().data(), x.value().offset(), w.data(), w.offset(), data(bias), offset(bias),
                y.value().data(), y.value().offset(), scratch(Conv2d.scratchSize(g)));
        record(y, () -> {
            Tensor dx = gradIfWanted(x);
            Tensor dw = gradIfWanted(weight);
            Tensor db = gradIfWanted(bias);
            Conv2d.backward(g, y.grad.data(), y.grad.offset(), x.value().data(), x.value().offset(), w.data(),
                    w.offset(), data(dx), offset(dx), data(dw), offset(dw), data(db), offset(db),
                    scratch(Conv2d.scratchSize(g)));
        });
        return y;
    }

    /** Fully connected layer. x [N, in], weight [out, in] (PyTorch layout), bias [out] or null; returns [N, out]. */
    public Var linear(Var x, Var weight, Var bias) {
        Shape xs = Checks.rank(this, x, 2, "linear input", "[N, in]");
        Shape ws = Checks.rank(this, weight, 2, "linear weight", "[out, in] with in = " + xs.dim(1));
        Checks.dim(ws, 1, xs.dim(1), "linear weight", "[out, in] with in = " + xs.dim(1));
        if (bias != null) {
            Checks.exact(this, bias, Shape.of(ws.dim(0)), "linear bias");
        }
        int n = xs.dim(0);
        int in = xs.dim(1);
        int out = ws.dim(0);
        Var y = output(Shape.of(n, out), x, weight, bias);
        Tensor w = weight.value();
        Linear.forward(x.value().data(), x.value().offset(), w.data(), w.offset(), data(bias), offset(bias),
                y.value().data(), y.value().offset(), n, in, out);
        record(y, () -> {
            Tensor dx = gradIfWanted(x);
            Tensor dw = gradIfWanted(weight);
            Tensor db = gradIfWanted(bias);
            Linear.backward(y.grad.data(), y.grad.offset(), x.value().data(), x.value().offset(), w.data(),
                    w.offset(), data(dx), offset(dx), data(dw), offset(dw), data(db), offset(db), n, in, out);
        });
        return y;
    }

    /** Group normalization of x [N, C, ...] over {@code groups} groups of channels; gamma, beta [C]. */
    public Var groupNorm(Var x, Var gamma, Var beta, int groups, float eps) {
        Shape xs = Checks.atLeastRank(this, x, 2, "groupNorm input", "[N, C, H, W]");
        int n = xs.dim(0);
        int c = xs.dim(1);
        int hw = xs.size() / (n * c);
        Checks.exact(this, gamma, Shape.of(c), "groupNorm gamma");
        Checks.exact(this, beta, Shape.of(c), "groupNorm beta");
        if (groups <= 0 || c % groups != 0) {
            throw new IllegalArgumentException("groupNorm groups must be positive and divide channels " + c
                    + ", got " + groups);
        }
        if (!(eps > 0f)) {
            throw new IllegalArgumentException("groupNorm eps must be > 0, got " + eps);
        }
        Var y = output(xs, x, gamma, beta);
        // mean and rstd are saved for backward; inference writes them to scratch.
        float[] stats = y.requiresGrad ? pool.take(2 * n * groups) : scratch(2 * n * groups);
        Tensor gm = gamma.value();
        Tensor bt = beta.value();
        GroupNorm.forward(x.value().data(), x.value().offset(), gm.data(), gm.offset(), bt.data(), bt.offset(),
                y.value().data(), y.value().offset(), stats, 0, stats, n * groups, n, c, hw, groups, eps);
        record(y, () -> {
            Tensor dx = gradIfWanted(x);
            Tensor dg = gradIfWanted(gamma);
            Tensor db = gradIfWanted(beta);
            GroupNorm.backward(y.grad.data(), y.grad.offset(), x.value().data(), x.value().offset(), stats, 0,
                    stats, n * groups, gm.data(), gm.offset(), data(dx), offset(dx), data(dg), offset(dg),
                    data(db), offset(db), n, c, hw, groups);
        });
        return y;
    }

    /** SiLU, {@code x * sigmoid(x)}, elementwise. */
    public Var silu(Var x) {
        Checks.owned(this, x, "silu input");
        Var y = output(x.shape(), x);
        int count = x.shape().size();
        float[] sig = y.requiresGrad ? pool.take(count) : null;
        Silu.forward(x.value().data(), x.value().offset(), y.value().data(), y.value().offset(), sig, 0, count);
        record(y, () -> {
            Tensor dx = gradIfWanted(x);
            Silu.backward(y.grad.data(), y.grad.offset(), x.value().data(), x.value().offset(), sig, 0,
                    dx.data(), dx.offset(), count);
        });
        return y;
    }

    /** a + b, same shape. */
    public Var add(Var a, Var b) {
        Checks.owned(this, a, "add left operand");
        Checks.exact(this, b, a.shape(), "add right operand (must match the left operand)");
        Var y = output(a.shape(), a, b);
        int count = a.shape().size();
        Add.forward(a.value().data(), a.value().offset(), b.value().data(), b.value().offset(), y.value().data(),
                y.value().offset(), count);
        record(y, () -> {
            Tensor da = gradIfWanted(a);
            Tensor db = gradIfWanted(b);
            Add.backward(y.grad.data(), y.grad.offset(), data(da), offset(da), data(db), offset(db), count);
        });
        return y;
    }

    /** x [N, C, ...] plus e [N, C] broadcast over the remaining axes ({@code x + e[:, :, None, None]}). */
    public Var addPerChannel(Var x, Var e) {
        Shape xs = Checks.atLeastRank(this, x, 2, "addPerChannel input", "[N, C, H, W]");
        int n = xs.dim(0);
        int c = xs.dim(1);
        int hw = xs.size() / (n * c);
        Checks.exact(this, e, Shape.of(n, c), "addPerChannel e");
        Var y = output(xs, x, e);
        AddPerChannel.forward(x.value().data(), x.value().offset(), e.value().data(), e.value().offset(),
                y.value().data(), y.value().offset(), n, c, hw);
        record(y, () -> {
            Tensor dx = gradIfWanted(x);
            Tensor de = gradIfWanted(e);
            AddPerChannel.backward(y.grad.data(), y.grad.offset(), data(dx), offset(dx), data(de), offset(de),
                    n, c, hw);
        });
        return y;
    }

    /** s * x. */
    public Var scale(Var x, float s) {
        Checks.owned(this, x, "scale input");
        Var y = output(x.shape(), x);
        int count = x.shape().size();
        Scale.forward(x.value().data(), x.value().offset(), s, y.value().data(), y.value().offset(), count);
        record(y, () -> {
            Tensor dx = gradIfWanted(x);
            Scale.backward(y.grad.data(), y.grad.offset(), s, dx.data(), dx.offset(), count);
        });
        return y;
    }

    /**
     * Single-head self-attention. qkv [N, 3C, H, W] (q = channels [0, C), k = [C, 2C), v = [2C, 3C)) returns
     * a [N, C, H, W] with a[:, c, q] = sum_k softmax_k(sum_c' q[c', q] k[c', k] / sqrt(C)) v[c, k].
     */
    public Var attention(Var qkv) {
        Shape s = Checks.rank(this, qkv, 4, "attention qkv", "[N, 3C, H, W]");
        if (s.dim(1) % 3 != 0) {
            throw new IllegalArgumentException("attention qkv: expected [N, 3C, H, W] with a channel count divisible"
                    + " by 3, got " + s);
        }
        int n = s.dim(0);
        int c = s.dim(1) / 3;
        int p = s.dim(2) * s.dim(3);
        Var y = output(Shape.of(n, c, s.dim(2), s.dim(3)), qkv);
        float[] probs = y.requiresGrad ? pool.take(n * p * p) : scratch(p * p);
        Attention.forward(qkv.value().data(), qkv.value().offset(), y.value().data(), y.value().offset(), probs, 0,
                y.requiresGrad ? p * p : 0, n, c, p);
        record(y, () -> {
            Tensor dq = gradIfWanted(qkv);
            Attention.backward(y.grad.data(), y.grad.offset(), qkv.value().data(), qkv.value().offset(), probs, 0,
                    dq.data(), dq.offset(), n, c, p, scratch(p * p));
        });
        return y;
    }

    /** Nearest-neighbour upsampling x2: [N, C, H, W] -> [N, C, 2H, 2W]. */
    public Var upsampleNearest2x(Var x) {
        Shape s = Checks.rank(this, x, 4, "upsampleNearest2x input", "[N, C, H, W]");
        Var y = output(Shape.of(s.dim(0), s.dim(1), 2 * s.dim(2), 2 * s.dim(3)), x);
        int planes = s.dim(0) * s.dim(1);
        UpsampleNearest2x.forward(x.value().data(), x.value().offset(), y.value().data(), y.value().offset(),
                planes, s.dim(2), s.dim(3));
        record(y, () -> {
            Tensor dx = gradIfWanted(x);
            UpsampleNearest2x.backward(y.grad.data(), y.grad.offset(), dx.data(), dx.offset(), planes, s.dim(2),
                    s.dim(3));
        });
        return y;
    }

    /** Channel concatenation [a, b]: a [N, Ca, H, W], b [N, Cb, H, W] -> [N, Ca + Cb, H, W]. */
    public Var concatChannels(Var a, Var b) {
        Shape as = Checks.rank(this, a, 4, "concatChannels first input", "[N, Ca, H, W]");
        Shape bs = Checks.rank(this, b, 4, "concatChannels second input", "[N, Cb, H, W]");
        if (as.dim(0) != bs.dim(0) || as.dim(2) != bs.dim(2) || as.dim(3) != bs.dim(3)) {
            throw new IllegalArgumentException("concatChannels second input: expected [" + as.dim(0) + ", Cb, "
                    + as.dim(2) + ", " + as.dim(3) + "] to match the first input " + as + ", got " + bs);
        }
        int n = as.dim(0);
        int ca = as.dim(1);
        int cb = bs.dim(1);
        int hw = as.dim(2) * as.dim(3);
        Var y = output(Shape.of(n, ca + cb, as.dim(2), as.dim(3)), a, b);
        ConcatChannels.forward(a.value().data(), a.value().offset(), b.value().data(), b.value().offset(),
                y.value().data(), y.value().offset(), n, ca, cb, hw);
        record(y, () -> {
            Tensor da = gradIfWanted(a);
            Tensor db = gradIfWanted(b);
            ConcatChannels.backward(y.grad.data(), y.grad.offset(), data(da), offset(da), data(db), offset(db),
                    n, ca, cb, hw);
        });
        return y;
    }

    /** Inverted dropout with probability p in [0, 1) and a mask drawn from {@code seed}; p = 0 returns x. */
    public Var dropout(Var x, float p, long seed) {
        Checks.owned(this, x, "dropout input");
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout p must be in [0, 1), got " + p);
        }
        if (p == 0f) {
            return x;
        }
        Var y = output(x.shape(), x);
        int count = x.shape().size();
        Dropout.forward(x.value().data(), x.value().offset(), y.value().data(), y.value().offset(), count, p, seed);
        record(y, () -> {
            Tensor dx = gradIfWanted(x);
            Dropout.backward(y.grad.data(), y.grad.offset(), dx.data(), dx.offset(), count, p, seed);
        });
        return y;
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
        Checks.owned(this, y, "mse prediction");
        target.shape().require(y.shape(), "mse target (must match the prediction)");
        int n = y.shape().dim(0);
        int m = y.shape().size() / n;
        if (sampleWeight != null) {
            sampleWeight.shape().require(Shape.of(n), "mse sampleWeight");
        }
        Var loss = output(Shape.of(1), y);
        Tensor v = y.value();
        loss.value().set(0, Mse.forward(v.data(), v.offset(), target.data(), target.offset(), data(sampleWeight),
                offset(sampleWeight), n, m));
        record(loss, () -> {
            Tensor dy = gradIfWanted(y);
            Mse.backward(loss.grad.get(0), v.data(), v.offset(), target.data(), target.offset(), data(sampleWeight),
                    offset(sampleWeight), dy.data(), dy.offset(), n, m);
        });
        return loss;
    }

    /** The same values under another shape of equal size (no copy of the value). */
    public Var reshape(Var x, Shape shape) {
        Checks.owned(this, x, "reshape input");
        Tensor view = x.value().reshape(shape);
        Var y = new Var(this, view, null, x.requiresGrad && recording);
        record(y, () -> Add.accumulate(y.grad.data(), y.grad.offset(), gradIfWanted(x).data(),
                gradIfWanted(x).offset(), shape.size()));
        return y;
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

    private Var output(Shape shape, Var... inputs) {
        boolean wants = false;
        for (Var in : inputs) {
            if (in != null) {
                Checks.owned(this, in, "op input");
                wants |= in.requiresGrad;
            }
        }
        return new Var(this, pooled(shape, false), null, wants && recording);
    }

    private void record(Var y, Runnable backward) {
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
    private Tensor gradIfWanted(Var v) {
        if (v == null || !v.requiresGrad) {
            return null;
        }
        if (v.grad == null) {
            v.grad = pooled(v.shape(), true);
        }
        return v.grad;
    }

    /** One scratch array shared by all ops (single-threaded), grown on demand. */
    private float[] scratch(int size) {
        if (scratch.length < size) {
            scratch = new float[size];
            pool.countAllocation(size);
        }
        return scratch;
    }

    private static float[] data(Var v) {
        return v == null ? null : v.value().data();
    }

    private static int offset(Var v) {
        return v == null ? 0 : v.value().offset();
    }

    private static float[] data(Tensor t) {
        return t == null ? null : t.data();
    }

    private static int offset(Tensor t) {
        return t == null ? 0 : t.offset();
    }
}
