package io.sparkdiffusion.nn;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;

/** Halves H and W: Conv3x3, stride 2, padding 1, C -> C ({@code [N, C, H, W] -> [N, C, H/2, W/2]}, H even). */
public final class Downsample implements Block {
    private final Conv2d conv;

    public Downsample(ParameterStore store, String name, int channels) {
        this.conv = new Conv2d(store, name + ".conv", channels, channels, 3, 2, 1);
    }

    @Override
    public Var forward(Tape tape, Var x, Var emb, DropoutDraw draw) {
        return conv.forward(tape, x);
    }
}
