package io.sparkdiffusion.nn;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;

/**
 * The residual block of unet-small, conditioned on the embedding:
 * <pre>
 *   h    = Conv3x3(SiLU(GN(x)))                    [N, out, H, W]   (one op: Conv2d.forwardNormSilu)
 *   h    = h + Linear(emb -> out)[:, :, None, None]
 *   h    = Conv3x3(Dropout(SiLU(GN(h))))
 *   skip = Conv1x1(x) if in != out else x
 *   y    = (h + skip) / sqrt(2)
 * </pre>
 * Dropout sits where EDM's {@code UNetBlock} puts it; the PyTorch twin has none (dropout 0).
 * Parameter names: {@code norm0, conv0, affine, norm1, conv1, skip} as in the twin.
 */
public final class ResBlock implements Block {
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

    private final GroupNorm norm0;
    private final Conv2d conv0;
    private final Linear affine;
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Conv2d skip;     // null when in == out
    private final float dropout;   // drop probability in training passes
    private final int site;        // this block's dropout site index within the network

    /**
     * @param dropout     the drop probability of training passes, in {@code [0, 1)}
     * @param dropoutSite this block's index among the network's dropout sites (see {@link DropoutDraw})
     */
    public ResBlock(ParameterStore store, String name, int in, int out, int embDim, float dropout, int dropoutSite) {
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new IllegalArgumentException(name + ": dropout must be in [0, 1), got " + dropout);
        }
        this.norm0 = new GroupNorm(store, name + ".norm0", in);
        this.conv0 = Conv2d.conv3x3(store, name + ".conv0", in, out);
        this.affine = new Linear(store, name + ".affine", embDim, out, true);
        this.norm1 = new GroupNorm(store, name + ".norm1", out);
        this.conv1 = Conv2d.conv3x3(store, name + ".conv1", out, out);
        this.skip = in != out ? Conv2d.conv1x1(store, name + ".skip", in, out) : null;
        this.dropout = dropout;
        this.site = dropoutSite;
    }

    @Override
    public Var forward(Tape tape, Var x, Var emb, DropoutDraw draw) {
        // Each GroupNorm-SiLU writes its convolution's input directly (one op), the convolutions take the
        // embedding's shift and the residual join in place: one activation each.
        Var h = conv0.forwardNormSiluAddPerChannel(tape, norm0, x, affine.forward(tape, emb));
        if (draw != null && dropout > 0f) {
            h = norm1.forwardSilu(tape, h);
            h = draw.perRow() ? tape.dropoutRows(h, dropout, draw.seedsFor(site))
                    : tape.dropout(h, dropout, draw.seedFor(site));
            return conv1.forwardAddScaled(tape, h, skip(tape, x), INV_SQRT2);
        }
        return conv1.forwardNormSiluAddScaled(tape, norm1, h, skip(tape, x), INV_SQRT2);
    }

    private Var skip(Tape tape, Var x) {
        return skip != null ? skip.forward(tape, x) : x;
    }
}
