package io.sparkdiffusion.autograd;

import static io.sparkdiffusion.autograd.Tape.data;
import static io.sparkdiffusion.autograd.Tape.offset;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import io.sparkdiffusion.tensor.kernels.Add;
import io.sparkdiffusion.tensor.kernels.AddPerChannel;
import io.sparkdiffusion.tensor.kernels.ConcatChannels;
import io.sparkdiffusion.tensor.kernels.Dropout;
import io.sparkdiffusion.tensor.kernels.Mse;
import io.sparkdiffusion.tensor.kernels.Scale;
import io.sparkdiffusion.tensor.kernels.Silu;
import io.sparkdiffusion.tensor.kernels.SoftmaxCrossEntropy;
import io.sparkdiffusion.tensor.kernels.UpsampleNearest2x;

/**
 * The bodies of {@link Tape}'s elementwise, data-movement and loss ops. Documentation lives on the Tape
 * methods.
 */
final class PointwiseOps {
    private PointwiseOps() {
    }

    static Var silu(Tape tape, Var x) {
        Checks.owned(tape, x, "silu input");
        Var y = tape.output(x.shape(), x);
        int count = x.shape().size();
        float[] sig = y.requiresGrad ? tape.saved(count) : null;
        Silu.forward(x.value().data(), x.value().offset(), y.value().data(), y.value().offset(), sig, 0, count);
        tape.record(y, () -> {
            Tensor dx = tape.gradIfWanted(x);
            Silu.backward(y.grad.data(), y.grad.offset(), x.value().data(), x.value().offset(), sig, 0,
                    dx.data(), dx.offset(), count);
        });
        return y;
    }

    static Var add(Tape tape, Var a, Var b) {
        Checks.owned(tape, a, "add left operand");
        Checks.exact(tape, b, a.shape(), "add right operand (must match the left operand)");
        Var y = tape.output(a.shape(), a, b);
        int count = a.shape().size();
        Add.forward(a.value().data(), a.value().offset(), b.value().data(), b.value().offset(), y.value().data(),
                y.value().offset(), count);
        tape.record(y, () -> {
            Tensor da = tape.gradIfWanted(a);
            Tensor db = tape.gradIfWanted(b);
            Add.backward(y.grad.data(), y.grad.offset(), data(da), offset(da), data(db), offset(db), count);
        });
        return y;
    }

    static Var addScaled(Tape tape, Var a, Var b, float s) {
        Checks.owned(tape, a, "addScaled left operand");
        Checks.exact(tape, b, a.shape(), "addScaled right operand (must match the left operand)");
        Var y = tape.output(a.shape(), a, b);
        int count = a.shape().size();
        Add.forwardScaled(a.value().data(), a.value().offset(), b.value().data(), b.value().offset(), s,
                y.value().data(), y.value().offset(), count);
        tape.record(y, () -> {
            Tensor da = tape.gradIfWanted(a);
            Tensor db = tape.gradIfWanted(b);
            Add.backwardScaled(y.grad.data(), y.grad.offset(), s, data(da), offset(da), data(db), offset(db), count);
        });
        return y;
    }

    static Var addPerChannel(Tape tape, Var x, Var e) {
        Shape xs = Checks.atLeastRank(tape, x, 2, "addPerChannel input", "[N, C, H, W]");
        int n = xs.dim(0);
        int c = xs.dim(1);
        int hw = xs.size() / (n * c);
        Checks.exact(tape, e, Shape.of(n, c), "addPerChannel e");
        Var y = tape.output(xs, x, e);
        AddPerChannel.forward(x.value().data(), x.value().offset(), e.value().data(), e.value().offset(),
                y.value().data(), y.value().offset(), n, c, hw);
        tape.record(y, () -> {
            Tensor dx = tape.gradIfWanted(x);
            Tensor de = tape.gradIfWanted(e);
            AddPerChannel.backward(y.grad.data(), y.grad.offset(), data(dx), offset(dx), data(de), offset(de),
                    n, c, hw);
        });
        return y;
    }

    static Var scale(Tape tape, Var x, float s) {
        Checks.owned(tape, x, "scale input");
        Var y = tape.output(x.shape(), x);
        int count = x.shape().size();
        Scale.forward(x.value().data(), x.value().offset(), s, y.value().data(), y.value().offset(), count);
        tape.record(y, () -> {
            Tensor dx = tape.gradIfWanted(x);
            Scale.backward(y.grad.data(), y.grad.offset(), s, dx.data(), dx.offset(), count);
        });
        return y;
    }

    static Var upsampleNearest2x(Tape tape, Var x) {
        Shape s = Checks.rank(tape, x, 4, "upsampleNearest2x input", "[N, C, H, W]");
        Var y = tape.output(Shape.of(s.dim(0), s.dim(1), 2 * s.dim(2), 2 * s.dim(3)), x);
        int planes = s.dim(0) * s.dim(1);
        UpsampleNearest2x.forward(x.value().data(), x.value().offset(), y.value().data(), y.value().offset(),
                planes, s.dim(2), s.dim(3));
        tape.record(y, () -> {
            Tensor dx = tape.gradIfWanted(x);
            UpsampleNearest2x.backward(y.grad.data(), y.grad.offset(), dx.data(), dx.offset(), planes, s.dim(2),
                    s.dim(3));
        });
        return y;
    }

    static Var concatChannels(Tape tape, Var a, Var b) {
        Shape as = Checks.rank(tape, a, 4, "concatChannels first input", "[N, Ca, H, W]");
        Shape bs = Checks.rank(tape, b, 4, "concatChannels second input", "[N, Cb, H, W]");
        if (as.dim(0) != bs.dim(0) || as.dim(2) != bs.dim(2) || as.dim(3) != bs.dim(3)) {
            throw new IllegalArgumentException("concatChannels second input: expected [" + as.dim(0) + ", Cb, "
                    + as.dim(2) + ", " + as.dim(3) + "] to match the first input " + as + ", got " + bs);
        }
        int n = as.dim(0);
        int ca = as.dim(1);
        int cb = bs.dim(1);
        int hw = as.dim(2) * as.dim(3);
        Var y = tape.output(Shape.of(n, ca + cb, as.dim(2), as.dim(3)), a, b);
        ConcatChannels.forward(a.value().data(), a.value().offset(), b.value().data(), b.value().offset(),
                y.value().data(), y.value().offset(), n, ca, cb, hw);
        tape.record(y, () -> {
            // One input at a time: a's gradient is written before b's is asked for (a and b may be one Var).
            Tape.GradOut da = tape.gradOut(a);
            if (da != null) {
                ConcatChannels.backwardPart(y.grad.data(), y.grad.offset(), ca + cb, 0, ca, hw, n, da.grad().data(),
                        da.grad().offset(), da.set());
            }
            Tape.GradOut db = tape.gradOut(b);
            if (db != null) {
                ConcatChannels.backwardPart(y.grad.data(), y.grad.offset(), ca + cb, ca, cb, hw, n, db.grad().data(),
                        db.grad().offset(), db.set());
            }
        });
        return y;
    }

    static Var dropout(Tape tape, Var x, float p, long seed) {
        Checks.owned(tape, x, "dropout input");
        requireDropoutProbability(p);
        if (p == 0f) {
            return x;
        }
        Var y = tape.output(x.shape(), x);
        int count = x.shape().size();
        Dropout.forward(x.value().data(), x.value().offset(), y.value().data(), y.value().offset(), count, p, seed);
        tape.record(y, () -> {
            Tensor dx = tape.gradIfWanted(x);
            Dropout.backward(y.grad.data(), y.grad.offset(), dx.data(), dx.offset(), count, p, seed);
        });
        return y;
    }

    private static void requireDropoutProbability(float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout p must be in [0, 1), got " + p);
        }
    }

    static Var dropoutRows(Tape tape, Var x, float p, long[] seeds) {
        Checks.owned(tape, x, "dropout input");
        requireDropoutProbability(p);
        int n = x.shape().dim(0);
        if (seeds.length != n) {
            throw new IllegalArgumentException("dropout: " + seeds.length + " row seeds for a batch of " + n + " rows");
        }
        if (p == 0f) {
            return x;
        }
        Var y = tape.output(x.shape(), x);
        int row = x.shape().size() / n;
        long[] at = seeds.clone();
        for (int b = 0; b < n; b++) {
            Dropout.forward(x.value().data(), x.value().offset() + b * row, y.value().data(),
                    y.value().offset() + b * row, row, p, at[b]);
        }
        tape.record(y, () -> {
            Tensor dx = tape.gradIfWanted(x);
            for (int b = 0; b < n; b++) {
                Dropout.backward(y.grad.data(), y.grad.offset() + b * row, dx.data(), dx.offset() + b * row, row, p,
                        at[b]);
            }
        });
        return y;
    }

    static Var mse(Tape tape, Var y, Tensor target, Tensor sampleWeight) {
        Checks.owned(tape, y, "mse prediction");
        target.shape().require(y.shape(), "mse target (must match the prediction)");
        int n = y.shape().dim(0);
        int m = y.shape().size() / n;
        if (sampleWeight != null) {
            sampleWeight.shape().require(Shape.of(n), "mse sampleWeight");
        }
        Var loss = tape.output(Shape.of(1), y);
        Tensor v = y.value();
        Mse.Geometry g = new Mse.Geometry(n, m);
        loss.value().set(0, Mse.forward(g, v, target, sampleWeight));
        tape.record(loss, () -> Mse.backward(g, loss.grad.get(0), v, target, sampleWeight, tape.gradIfWanted(y)));
        return loss;
    }

    static Var softmaxCrossEntropy(Tape tape, Var logits, int[] labels) {
        Shape s = Checks.rank(tape, logits, 2, "softmaxCrossEntropy logits", "[N, C]");
        SoftmaxCrossEntropy.Geometry g = new SoftmaxCrossEntropy.Geometry(s.dim(0), s.dim(1));
        Var loss = tape.output(Shape.of(1), logits);
        Tensor p = loss.requiresGrad ? new Tensor(tape.saved(s.size()), 0, s) : null;
        int[] y = labels.clone();
        loss.value().set(0, SoftmaxCrossEntropy.forward(g, logits.value(), y, p));
        tape.record(loss, () -> SoftmaxCrossEntropy.backward(g, loss.grad.get(0), p, y, tape.gradIfWanted(logits)));
        return loss;
    }

    static Var reshape(Tape tape, Var x, Shape shape) {
        Checks.owned(tape, x, "reshape input");
        Tensor view = x.value().reshape(shape);
        Var y = new Var(tape, view, null, x.requiresGrad && tape.isRecording());
        tape.record(y, () -> Add.accumulate(y.grad.data(), y.grad.offset(), tape.gradIfWanted(x).data(),
                tape.gradIfWanted(x).offset(), shape.size()));
        return y;
    }
}
