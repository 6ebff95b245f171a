package io.sparkdiffusion.nn;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.tensor.Shape;

/**
 * {@code y = x W^T + b}: x {@code [N, in]}, weight {@code [out, in]} (PyTorch layout), bias {@code [out]},
 * y {@code [N, out]}. Weight and bias start uniform in {@code +-1/sqrt(in)} (PyTorch's default).
 */
public final class Linear {
    private final Parameter weight; // [out, in]
    private final Parameter bias;   // [out] or null

    public Linear(ParameterStore store, String name, int in, int out, boolean bias) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException(name + ": in and out features must be >= 1, got in=" + in + ", out=" + out);
        }
        Init init = Init.Uniform.fanIn(in);
        this.weight = store.add(name + ".weight", Shape.of(out, in), init);
        this.bias = bias ? store.add(name + ".bias", Shape.of(out), init) : null;
    }

    public Var forward(Tape tape, Var x) {
        return tape.linear(x, weight.on(tape), bias == null ? null : bias.on(tape));
    }
}
