package io.sparkdiffusion.nn;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.tensor.Shape;

/**
 * 2-D convolution with bias: x {@code [N, Cin, H, W]}, weight {@code [Cout, Cin, k, k]}, bias {@code [Cout]},
 * y {@code [N, Cout, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1]}. Weight and bias start uniform in
 * {@code +-1/sqrt(Cin k k)} (PyTorch's default).
 */
public final class Conv2d {
    private final Parameter weight; // [Cout, Cin, k, k]
    private final Parameter bias;   // [Cout]
    private final int stride;
    private final int padding;

    public Conv2d(ParameterStore store, String name, int cin, int cout, int kernel, int stride, int padding) {
        if (cin <= 0 || cout <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException(name + ": expected cin, cout, kernel, stride >= 1 and padding >= 0, got cin="
                    + cin + ", cout=" + cout + ", kernel=" + kernel + ", stride=" + stride + ", padding=" + padding);
        }
        Init init = Init.Uniform.fanIn(cin * kernel * kernel);
        this.weight = store.add(name + ".weight", Shape.of(cout, cin, kernel, kernel), init);
        this.bias = store.add(name + ".bias", Shape.of(cout), init);
        this.stride = stride;
        this.padding = padding;
    }

    /** A 3x3 convolution, padding 1, stride 1 (keeps H and W). */
    public static Conv2d conv3x3(ParameterStore store, String name, int cin, int cout) {
        return new Conv2d(store, name, cin, cout, 3, 1, 1);
    }

    /** A 1x1 convolution (a per-pixel linear map over channels). */
    public static Conv2d conv1x1(ParameterStore store, String name, int cin, int cout) {
        return new Conv2d(store, name, cin, cout, 1, 1, 0);
    }

    public Var forward(Tape tape, Var x) {
        return tape.conv2d(x, weight.on(tape), bias.on(tape), stride, padding);
    }

    /**
     * {@code forward(tape.upsampleNearest2x(x))} in one op ({@link Tape#upsampleNearest2xConv3x3}), for a 3x3,
     * stride-1, padding-1 convolution: the upsampled image is never formed and each output takes 4 multiply-adds
     * per input channel instead of 9 (or, where the convolution runs on Winograd F(4x4, 3x3), the two ops).
     */
    public Var forwardUpsampled(Tape tape, Var x) {
        Shape w = weight.shape();
        if (w.dim(2) != 3 || w.dim(3) != 3 || stride != 1 || padding != 1) {
            throw new IllegalStateException("forwardUpsampled needs a 3x3 convolution with stride 1 and padding 1, "
                    + "this one is " + w.dim(2) + "x" + w.dim(3) + " with stride " + stride + " and padding " + padding);
        }
        return tape.upsampleNearest2xConv3x3(x, weight.on(tape), bias.on(tape));
    }

    /** {@code forward(x) + e[:, :, None, None]}, e [N, Cout], in one op ({@link Tape#conv2dAddPerChannel}). */
    public Var forwardAddPerChannel(Tape tape, Var x, Var e) {
        return tape.conv2dAddPerChannel(x, weight.on(tape), bias.on(tape), stride, padding, e);
    }

    /** {@code s (forward(x) + r)}, a residual join, in one op ({@link Tape#conv2dAddScaled}). */
    public Var forwardAddScaled(Tape tape, Var x, Var r, float s) {
        return tape.conv2dAddScaled(x, weight.on(tape), bias.on(tape), stride, padding, r, s);
    }

    /**
     * {@code forward(norm.forwardSilu(x))} in one op ({@link Tape#groupNormSiluConv2d}): the normalization writes
     * this convolution's input in the layout it reads, where that applies; the same bits as the two calls.
     */
    public Var forwardNormSilu(Tape tape, GroupNorm norm, Var x) {
        return tape.groupNormSiluConv2d(x, norm.gamma(tape), norm.beta(tape), norm.groups(), GroupNorm.EPS,
                weight.on(tape), bias.on(tape), stride, padding);
    }

    /** {@code forwardAddPerChannel(norm.forwardSilu(x), e)} in one op, as {@link #forwardNormSilu}. */
    public Var forwardNormSiluAddPerChannel(Tape tape, GroupNorm norm, Var x, Var e) {
        return tape.groupNormSiluConv2dAddPerChannel(x, norm.gamma(tape), norm.beta(tape), norm.groups(),
                GroupNorm.EPS, weight.on(tape), bias.on(tape), stride, padding, e);
    }

    /** {@code forwardAddScaled(norm.forwardSilu(x), r, s)} in one op, as {@link #forwardNormSilu}. */
    public Var forwardNormSiluAddScaled(Tape tape, GroupNorm norm, Var x, Var r, float s) {
        return tape.groupNormSiluConv2dAddScaled(x, norm.gamma(tape), norm.beta(tape), norm.groups(),
                GroupNorm.EPS, weight.on(tape), bias.on(tape), stride, padding, r, s);
    }
}
