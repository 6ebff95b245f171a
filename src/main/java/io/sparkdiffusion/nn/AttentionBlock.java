package io.sparkdiffusion.nn;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;

/**
 * Single-head self-attention over the {@code H W} positions of {@code [N, C, H, W]} feature maps:
 * <pre>
 *   q, k, v = channel thirds of Conv1x1(C -> 3C)(GN(x))
 *   w       = softmax over keys of q.k / sqrt(C)
 *   y       = (x + Conv1x1(C -> C)(w applied to v)) / sqrt(2)
 * </pre>
 * Parameter names: {@code norm, qkv, proj} as in the PyTorch twin.
 */
public final class AttentionBlock implements Block {
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

    private final GroupNorm norm;
    private final Conv2d qkv;
    private final Conv2d proj;

    public AttentionBlock(ParameterStore store, String name, int channels) {
        this.norm = new GroupNorm(store, name + ".norm", channels);
        this.qkv = Conv2d.conv1x1(store, name + ".qkv", channels, 3 * channels);
        this.proj = Conv2d.conv1x1(store, name + ".proj", channels, channels);
    }

    @Override
    public Var forward(Tape tape, Var x, Var emb, DropoutDraw draw) {
        Var a = tape.attention(qkv.forward(tape, norm.forward(tape, x)));
        return proj.forwardAddScaled(tape, a, x, INV_SQRT2); // s (proj(a) + x): the same sum as s (x + proj(a))
    }
}
