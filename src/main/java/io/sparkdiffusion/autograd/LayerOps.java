package io.sparkdiffusion.autograd;

import static io.sparkdiffusion.autograd.Tape.value;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import io.sparkdiffusion.tensor.kernels.Add;
import io.sparkdiffusion.tensor.kernels.AddPerChannel;
import io.sparkdiffusion.tensor.kernels.Attention;
import io.sparkdiffusion.tensor.kernels.Conv2d;
import io.sparkdiffusion.tensor.kernels.GroupNorm;
import io.sparkdiffusion.tensor.kernels.GroupNormSilu;
import io.sparkdiffusion.tensor.kernels.Linear;
import io.sparkdiffusion.tensor.kernels.NormSiluConv;
import io.sparkdiffusion.tensor.kernels.Scale;
import io.sparkdiffusion.tensor.kernels.UpsampleConv;

/**
 * The bodies of {@link Tape}'s layer ops (conv2d and its fused forms, the upsampling convolution, linear,
 * groupNorm, groupNormSilu and its fusion with a convolution, attention): validate shapes, run the forward kernel, record the backward kernel. Documentation lives on the Tape
 * methods.
 */
final class LayerOps {
    private LayerOps() {
    }

    static Var conv2d(Tape tape, Var x, Var weight, Var bias, int stride, int padding) {
        return conv2d(tape, "conv2d", x, weight, bias, stride, padding, Join.NONE);
    }

    static Var conv2dAddPerChannel(Tape tape, Var x, Var weight, Var bias, int stride, int padding, Var e) {
        return conv2d(tape, "conv2dAddPerChannel", x, weight, bias, stride, padding, Join.perChannel(e));
    }

    static Var conv2dAddScaled(Tape tape, Var x, Var weight, Var bias, int stride, int padding, Var r, float s) {
        return conv2d(tape, "conv2dAddScaled", x, weight, bias, stride, padding, Join.scaled(r, s));
    }

    private static Var conv2d(Tape tape, String op, Var x, Var weight, Var bias, int stride, int padding,
                              Join join) {
        Conv2d.Geometry g = conv2dGeometry(tape, op, x, weight, bias, stride, padding);
        join.check(tape, op, g);
        Var y = tape.output(Shape.of(g.n(), g.cout(), g.ho(), g.wo()), x, weight, bias, join.input());
        convolve(tape, g, x, weight, bias, y);
        join.forward(g, y);
        tape.record(y, () -> {
            join.backward(tape, g, y);
            convolveBackward(tape, g, y.grad, x, weight, bias);
        });
        return y;
    }

    /**
     * {@code join(conv2d(groupNormSilu(x, gamma, beta, groups, eps), weight, bias, stride, padding))}: one op
     * through {@link NormSiluConv} where the convolution runs on the vector shifted products and the tape records
     * (the normalization writes the convolution's padded input, which is saved instead of its dense output) or
     * keeps nothing (each chunk's padded input in one block of scratch); the two ops elsewhere. The same bits
     * either way.
     */
    static Var normSiluConv2d(Tape tape, String op, Var x, Var gamma, Var beta, int groups, float eps, Var weight,
                              Var bias, int stride, int padding, Join join) {
        Shape xs = checkGroupNorm(tape, op, x, gamma, beta, groups, eps);
        Conv2d.Geometry g = conv2dGeometry(tape, op, x, weight, bias, stride, padding);
        join.check(tape, op, g);
        if (!NormSiluConv.fuses(g)) {
            return conv2d(tape, op, groupNormSilu(tape, x, gamma, beta, groups, eps), weight, bias, stride, padding,
                    join);
        }
        int n = xs.dim(0);
        int c = xs.dim(1);
        int hw = xs.size() / (n * c);
        GroupNorm.Geometry norm = new GroupNorm.Geometry(n, c, hw, groups);
        Var y = tape.output(Shape.of(g.n(), g.cout(), g.ho(), g.wo()), x, gamma, beta, weight, bias, join.input());
        if (!tape.isRecording()) {
            // Nothing saved: each chunk's normalization goes into one padded block that stays in cache.
            float[] stats = tape.saved(2 * n * groups);
            NormSiluConv.forwardInference(norm, g, x.value(), gamma.value(), beta.value(),
                    new Tensor(stats, 0, Shape.of(n * groups)), new Tensor(stats, n * groups, Shape.of(n * groups)),
                    eps, tape.groupNormSiluScratch(c, hw, groups), weight.value(), value(bias), y.value(),
                    tape.scratch(NormSiluConv.inferenceScratchSize(g)));
            join.forward(g, y);
            return y;
        }
        // Saved for backward: mean and rstd [N*G], then the padded input.
        int stats = 2 * n * groups;
        int scratchSize = NormSiluConv.scratchSize(g);
        float[] buf = tape.saved(Math.toIntExact(stats + NormSiluConv.paddedSize(g)));
        Tensor mean = new Tensor(buf, 0, Shape.of(n * groups));
        Tensor rstd = new Tensor(buf, n * groups, Shape.of(n * groups));
        int xpOff = stats;
        NormSiluConv.forward(norm, g, x.value(), gamma.value(), beta.value(), mean, rstd, eps,
                tape.groupNormSiluScratch(c, hw, groups), buf, xpOff, weight.value(), value(bias), y.value(),
                tape.scratch(scratchSize));
        join.forward(g, y);
        tape.record(y, () -> {
            join.backward(tape, g, y);
            Tape.GradOut dx = tape.gradOut(x);
            NormSiluConv.backward(norm, g, y.grad, buf, xpOff, x.value(), mean, rstd, gamma.value(), beta.value(),
                    weight.value(), dx == null ? null : dx.grad(), dx != null && dx.set(), tape.gradIfWanted(gamma),
                    tape.gradIfWanted(beta),
                    tape.gradIfWanted(weight), tape.gradIfWanted(bias), tape.groupNormSiluScratch(c, hw, groups),
                    tape.scratch(scratchSize));
        });
        return y;
    }

    /**
     * What a convolution op adds to its output in place (its backward needs only its output's gradient, never
     * its output): nothing, {@code e [N, Cout]} per channel, or {@code s (y + r)}, a residual join.
     */
    record Join(Var e, Var r, float s) {
        static final Join NONE = new Join(null, null, 1f);

        static Join perChannel(Var e) {
            return new Join(e, null, 1f);
        }

        static Join scaled(Var r, float s) {
            return new Join(null, r, s);
        }

        Var input() {
            return e != null ? e : r;
        }

        void check(Tape tape, String op, Conv2d.Geometry g) {
            if (e != null) {
                Checks.exact(tape, e, Shape.of(g.n(), g.cout()), op + " e ([N, Cout])");
            }
            if (r != null) {
                Checks.exact(tape, r, Shape.of(g.n(), g.cout(), g.ho(), g.wo()),
                        op + " residual (must match the convolution's output)");
            }
        }

        void forward(Conv2d.Geometry g, Var y) {
            float[] yd = y.value().data();
            int yo = y.value().offset();
            if (e != null) {
                AddPerChannel.forward(yd, yo, e.value().data(), e.value().offset(), yd, yo, g.n(), g.cout(),
                        g.ho() * g.wo());
            } else if (r != null) {
                Add.forwardScaled(yd, yo, r.value().data(), r.value().offset(), s, yd, yo, y.shape().size());
            }
        }

        /** Accumulates de or dr, and turns y.grad into the convolution output's gradient (in place). */
        void backward(Tape tape, Conv2d.Geometry g, Var y) {
            if (e != null) {
                Tensor de = tape.gradIfWanted(e);
                if (de != null) {
                    AddPerChannel.backward(y.grad.data(), y.grad.offset(), null, 0, de.data(), de.offset(), g.n(),
                            g.cout(), g.ho() * g.wo());
                }
                // d(convolution output) = dy: the gradient passes through unchanged.
            } else if (r != null) {
                int count = y.shape().size();
                Tape.GradOut dr = tape.gradOut(r);
                if (dr != null && dr.set()) {
                    Scale.forward(y.grad.data(), y.grad.offset(), s, dr.grad().data(), dr.grad().offset(), count);
                } else if (dr != null) {
                    Scale.backward(y.grad.data(), y.grad.offset(), s, dr.grad().data(), dr.grad().offset(), count);
                }
                // d(convolution output) = s dy, written over dy (nothing reads dy after this node).
                float[] dy = y.grad.data();
                int dyo = y.grad.offset();
                Scale.forward(dy, dyo, s, dy, dyo, count);
            }
        }
    }

    static Var upsampleNearest2xConv3x3(Tape tape, Var x, Var weight, Var bias) {
        String op = "upsampleNearest2xConv3x3";
        Shape xs = Checks.rank(tape, x, 4, op + " input", "[N, Cin, H, W]");
        String expected = "[Cout, Cin, 3, 3] with Cin = " + xs.dim(1);
        Shape ws = Checks.rank(tape, weight, 4, op + " weight", expected);
        Checks.dim(ws, 1, xs.dim(1), op + " weight", expected);
        Checks.dim(ws, 2, 3, op + " weight", expected);
        Checks.dim(ws, 3, 3, op + " weight", expected);
        if (bias != null) {
            Checks.exact(tape, bias, Shape.of(ws.dim(0)), op + " bias");
        }
        UpsampleConv.Geometry g = new UpsampleConv.Geometry(xs.dim(0), xs.dim(1), xs.dim(2), xs.dim(3), ws.dim(0));
        if (!UpsampleConv.fuses(g)) {
            return conv2d(tape, PointwiseOps.upsampleNearest2x(tape, x), weight, bias, 1, 1);
        }
        Var y = tape.output(Shape.of(g.n(), g.cout(), 2 * g.h(), 2 * g.w()), x, weight, bias);
        // The summed taps and one chunk's phases; backward reuses the array (pooled until the tape's reset).
        float[] work = tape.saved(Math.toIntExact(UpsampleConv.workSize(g)));
        UpsampleConv.forward(g, x.value(), weight.value(), value(bias), y.value(), work,
                tape.scratch(UpsampleConv.scratchSize(g)));
        tape.record(y, () -> UpsampleConv.backward(g, y.grad, x.value(), weight.value(), tape.gradIfWanted(x),
                tape.gradIfWanted(weight), tape.gradIfWanted(bias), work, tape.scratch(UpsampleConv.scratchSize(g))));
        return y;
    }

    /** The checks shared by the convolution ops ({@code op} names the op in messages); returns the geometry. */
    private static Conv2d.Geometry conv2dGeometry(Tape tape, String op, Var x, Var weight, Var bias, int stride,
                                                  int padding) {
        Shape xs = Checks.rank(tape, x, 4, op + " input", "[N, Cin, H, W]");
        Shape ws = Checks.rank(tape, weight, 4, op + " weight", "[Cout, Cin, kh, kw] with Cin = " + xs.dim(1));
        Checks.dim(ws, 1, xs.dim(1), op + " weight", "[Cout, Cin, kh, kw] with Cin = " + xs.dim(1));
        if (bias != null) {
            Checks.exact(tape, bias, Shape.of(ws.dim(0)), op + " bias");
        }
        return new Conv2d.Geometry(xs.dim(0), xs.dim(1), xs.dim(2), xs.dim(3), ws.dim(0), ws.dim(2), ws.dim(3),
                stride, padding);
    }

    private static void convolve(Tape tape, Conv2d.Geometry g, Var x, Var weight, Var bias, Var y) {
        Conv2d.forward(g, x.value(), weight.value(), value(bias), y.value(),
                tape.scratch(Conv2d.forwardScratchSize(g)), tape.transformedWeights());
    }

    /** Accumulates the convolution's gradients from {@code dy}, the gradient of its output. */
    private static void convolveBackward(Tape tape, Conv2d.Geometry g, Tensor dy, Var x, Var weight, Var bias) {
        Tape.GradOut dx = tape.gradOut(x);
        Conv2d.backward(g, dy, x.value(), weight.value(), dx == null ? null : dx.grad(), dx != null && dx.set(),
                tape.gradIfWanted(weight), tape.gradIfWanted(bias), tape.scratch(Conv2d.scratchSize(g)));
    }

    static Var linear(Tape tape, Var x, Var weight, Var bias) {
        Shape xs = Checks.rank(tape, x, 2, "linear input", "[N, in]");
        Shape ws = Checks.rank(tape, weight, 2, "linear weight", "[out, in] with in = " + xs.dim(1));
        Checks.dim(ws, 1, xs.dim(1), "linear weight", "[out, in] with in = " + xs.dim(1));
        if (bias != null) {
            Checks.exact(tape, bias, Shape.of(ws.dim(0)), "linear bias");
        }
        Linear.Geometry g = new Linear.Geometry(xs.dim(0), xs.dim(1), ws.dim(0));
        Var y = tape.output(Shape.of(g.n(), g.out()), x, weight, bias);
        Linear.forward(g, x.value(), weight.value(), value(bias), y.value(), tape.scratch(Linear.scratchSize(g)));
        tape.record(y, () -> Linear.backward(g, y.grad, x.value(), weight.value(), tape.gradIfWanted(x),
                tape.gradIfWanted(weight), tape.gradIfWanted(bias)));
        return y;
    }

    static Var groupNorm(Tape tape, Var x, Var gamma, Var beta, int groups, float eps) {
        Shape xs = checkGroupNorm(tape, "groupNorm", x, gamma, beta, groups, eps);
        int n = xs.dim(0);
        int c = xs.dim(1);
        int hw = xs.size() / (n * c);
        Var y = tape.output(xs, x, gamma, beta);
        // mean and rstd are saved for backward; inference writes them to scratch.
        float[] stats = y.requiresGrad ? tape.saved(2 * n * groups) : tape.scratch(2 * n * groups);
        GroupNorm.Geometry g = new GroupNorm.Geometry(n, c, hw, groups);
        Tensor mean = new Tensor(stats, 0, Shape.of(n * groups));
        Tensor rstd = new Tensor(stats, n * groups, Shape.of(n * groups));
        GroupNorm.forward(g, x.value(), gamma.value(), beta.value(), y.value(), mean, rstd, eps);
        tape.record(y, () -> GroupNorm.backward(g, y.grad, x.value(), mean, rstd, gamma.value(), tape.gradIfWanted(x),
                tape.gradIfWanted(gamma), tape.gradIfWanted(beta)));
        return y;
    }

    static Var groupNormSilu(Tape tape, Var x, Var gamma, Var beta, int groups, float eps) {
        Shape xs = checkGroupNorm(tape, "groupNormSilu", x, gamma, beta, groups, eps);
        int n = xs.dim(0);
        int c = xs.dim(1);
        int hw = xs.size() / (n * c);
        Var y = tape.output(xs, x, gamma, beta);
        // Only mean and rstd are saved: backward recomputes the normalized value and its sigmoid from x.
        float[] stats = y.requiresGrad ? tape.saved(2 * n * groups) : tape.scratch(2 * n * groups);
        GroupNorm.Geometry g = new GroupNorm.Geometry(n, c, hw, groups);
        Tensor mean = new Tensor(stats, 0, Shape.of(n * groups));
        Tensor rstd = new Tensor(stats, n * groups, Shape.of(n * groups));
        GroupNormSilu.forward(g, x.value(), gamma.value(), beta.value(), y.value(), mean, rstd, eps,
                tape.groupNormSiluScratch(c, hw, groups));
        tape.record(y, () -> GroupNormSilu.backward(g, y.grad, x.value(), mean, rstd, gamma.value(), beta.value(),
                tape.gradIfWanted(x), tape.gradIfWanted(gamma), tape.gradIfWanted(beta),
                tape.groupNormSiluScratch(c, hw, groups)));
        return y;
    }

    /** The checks shared by groupNorm and groupNormSilu ({@code op} names the op in messages); returns x's shape. */
    private static Shape checkGroupNorm(Tape tape, String op, Var x, Var gamma, Var beta, int groups, float eps) {
        Shape xs = Checks.atLeastRank(tape, x, 2, op + " input", "[N, C, H, W]");
        int c = xs.dim(1);
        Checks.exact(tape, gamma, Shape.of(c), op + " gamma");
        Checks.exact(tape, beta, Shape.of(c), op + " beta");
        if (groups <= 0 || c % groups != 0) {
            throw new IllegalArgumentException(op + " groups must be positive and divide channels " + c
                    + ", got " + groups);
        }
        if (!(eps > 0f)) {
            throw new IllegalArgumentException(op + " eps must be > 0, got " + eps);
        }
        return xs;
    }

    static Var attention(Tape tape, Var qkv) {
        Shape s = Checks.rank(tape, qkv, 4, "attention qkv", "[N, 3C, H, W]");
        if (s.dim(1) % 3 != 0) {
            throw new IllegalArgumentException("attention qkv: expected [N, 3C, H, W] with a channel count divisible"
                    + " by 3, got " + s);
        }
        int n = s.dim(0);
        int c = s.dim(1) / 3;
        int p = s.dim(2) * s.dim(3);
        Var y = tape.output(Shape.of(n, c, s.dim(2), s.dim(3)), qkv);
        Attention.Geometry g = new Attention.Geometry(n, c, p);
        Tensor probs = y.requiresGrad ? new Tensor(tape.saved(n * p * p), 0, Shape.of(n, p, p))
                : new Tensor(tape.scratch(p * p), 0, Shape.of(p, p));
        Attention.forward(g, qkv.value(), y.value(), probs, y.requiresGrad);
        tape.record(y, () -> {
            Tape.GradOut dqkv = tape.gradOut(qkv);
            if (dqkv != null) {
                Attention.backward(g, y.grad, qkv.value(), probs, dqkv.grad(), dqkv.set(), tape.scratch(p * p));
            }
        });
        return y;
    }
}
