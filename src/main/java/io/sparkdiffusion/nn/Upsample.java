package io.sparkdiffusion.nn;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;

/**
 * Doubles H and W: nearest-neighbour x2, then Conv3x3 C -> C ({@code [N, C, H, W] -> [N, C, 2H, 2W]}), as one op
 * that never forms the upsampled image ({@link Conv2d#forwardUpsampled}).
 */
public final class Upsample implements Block {
    private final Conv2d conv;

    public Upsample(ParameterStore store, String name, int channels) {
        this.conv = Conv2d.conv3x3(store, name + ".conv", channels, channels);
    }

    @Override
    public Var forward(Tape tape, Var x, Var emb, DropoutDraw draw) {
        return conv.forwardUpsampled(tape, x);
    }
}
