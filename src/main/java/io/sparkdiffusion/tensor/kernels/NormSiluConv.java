package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Tensor;

/**
 * {@code conv(silu(GroupNorm(x)))} with the normalization writing straight into the convolution's padded input:
 * the U-Net's ResBlock pattern, where the activation between the two ops otherwise goes through memory three more
 * times (written dense, copied into the padded layout in the forward and again in the backward) and its gradient
 * twice (added back from the padded layout, read by the normalization's backward).
 *
 * <pre>
 * x [N, Cin, H, W]     gamma, beta [Cin]     mean, rstd [N, G]     w [Cout, Cin, kh, kw]   b [Cout]   y [N, Cout, H, W]
 * xp                   silu(GroupNorm(x)) in {@link ShiftedConv}'s padded layout for the whole batch,
 *                      one block per chunk of images, zero outside the pixels: saved for backward
 * forward, per chunk of images: GroupNormSilu of the chunk into xp, then the shifted products read it
 * backward, per chunk: dw from xp; the chunk's input gradient, still in the padded layout, is the
 *                      normalization's dy: GroupNormSilu's backward of the chunk reads it from cache
 * </pre>
 *
 * <p>The same bits, values and gradients, as {@link GroupNormSilu} followed by {@link Conv2d} on the vector
 * engine: every sum runs in the same order, only the copies are gone. It applies where {@link Conv2d} would run
 * the vector shifted products in both directions ({@link #fuses}); callers compose the two ops elsewhere. The gain
 * is the backward's (2 % to 15 % per layer, {@code ./probe.sh kernels normconv}): the forward's row-by-row writes
 * into the padded blocks cost about what the padded copy saved, so the tape fuses only when it records.
 */
public final class NormSiluConv {
    private NormSiluConv() {
    }

    /**
     * True when g's convolution runs on the vector engine's shifted products forward and backward (stride 1, not
     * 1x1, no {@link Winograd}), the layout this op writes.
     */
    public static boolean fuses(Conv2d.Geometry g) {
        return ShiftedConv.Engine.DEFAULT == ShiftedConv.Engine.VECTOR && g.usesShiftedGemm()
                && !Winograd.Choice.applies(g);
    }

    /** Floats of the padded input xp that forward writes and backward reads. */
    public static long paddedSize(Conv2d.Geometry g) {
        return ShiftedConv.batchPaddedSize(g);
    }

    /** Floats of scratch forward and backward need. */
    public static int scratchSize(Conv2d.Geometry g) {
        return Conv2d.scratchSize(g);
    }

    /**
     * Writes xp (from xpOff, {@link #paddedSize} floats), mean and rstd (saved for backward) and y, overwritten.
     * b may be null.
     */
    public static void forward(GroupNorm.Geometry norm, Conv2d.Geometry g, Tensor x, Tensor gamma, Tensor beta,
                               Tensor mean, Tensor rstd, float eps, GroupNormSilu.Scratch normScratch, float[] xp,
                               int xpOff, Tensor w, Tensor b, Tensor y, float[] scratch) {
        require(norm, g);
        norm.require(new Tensor[] {x}, new Tensor[] {gamma, beta}, new Tensor[] {mean, rstd});
        normScratch.require(norm);
        // x stands in for the convolution's input: the normalization keeps the shape.
        g.requireForward(x, w, b, y, scratch, scratchSize(g));
        ShiftedConv.forwardPadded(g, xp, xpOff, (n0, nb, planes) -> GroupNormSilu.forwardImages(norm, x, gamma,
                beta, mean, rstd, eps, normScratch, n0, nb, planes), w, b, y, scratch);
    }

    /**
     * The forward of a pass that keeps nothing for backward: each chunk's normalization goes into one
     * chunk-sized padded block at the front of scratch ({@link #inferenceScratchSize} floats), which the products
     * read while it is in cache, instead of a dense activation that the convolution then copies into that block.
     * Writes mean and rstd and y (overwritten); b may be null. The same bits as {@link #forward} and as the two
     * ops.
     */
    public static void forwardInference(GroupNorm.Geometry norm, Conv2d.Geometry g, Tensor x, Tensor gamma,
                                        Tensor beta, Tensor mean, Tensor rstd, float eps,
                                        GroupNormSilu.Scratch normScratch, Tensor w, Tensor b, Tensor y,
                                        float[] scratch) {
        require(norm, g);
        norm.require(new Tensor[] {x}, new Tensor[] {gamma, beta}, new Tensor[] {mean, rstd});
        normScratch.require(norm);
        g.requireForward(x, w, b, y, scratch, inferenceScratchSize(g));
        ShiftedConv.forwardChunked(g, (n0, nb, planes) -> GroupNormSilu.forwardImages(norm, x, gamma, beta, mean,
                rstd, eps, normScratch, n0, nb, planes), w, b, y, scratch);
    }

    /** Floats of scratch {@link #forwardInference} needs (its padded block included). */
    public static int inferenceScratchSize(Conv2d.Geometry g) {
        return Conv2d.forwardScratchSize(g);
    }

    /**
     * Accumulates dx, dgamma, dbeta (the normalization's) and dw, db (the convolution's) from dy, the gradient of
     * y; any may be null (not wanted). xp, mean and rstd are forward's.
     */
    public static void backward(GroupNorm.Geometry norm, Conv2d.Geometry g, Tensor dy, float[] xp, int xpOff,
                                Tensor x, Tensor mean, Tensor rstd, Tensor gamma, Tensor beta, Tensor w, Tensor dx,
                                Tensor dgamma, Tensor dbeta, Tensor dw, Tensor db,
                                GroupNormSilu.Scratch normScratch, float[] scratch) {
        backward(norm, g, dy, xp, xpOff, x, mean, rstd, gamma, beta, w, dx, false, dgamma, dbeta, dw, db,
                normScratch, scratch);
    }

    /** As above, but with {@code setDx} dx is set (the same bits as adding to zeros) without being read. */
    public static void backward(GroupNorm.Geometry norm, Conv2d.Geometry g, Tensor dy, float[] xp, int xpOff,
                                Tensor x, Tensor mean, Tensor rstd, Tensor gamma, Tensor beta, Tensor w, Tensor dx,
                                boolean setDx, Tensor dgamma, Tensor dbeta, Tensor dw, Tensor db,
                                GroupNormSilu.Scratch normScratch, float[] scratch) {
        require(norm, g);
        norm.require(new Tensor[] {x}, new Tensor[] {gamma, beta}, new Tensor[] {mean, rstd});
        norm.requireGradients(dx, dgamma, dbeta);
        normScratch.require(norm);
        g.requireBackward(dy, x, w, null, dw, db, scratch, scratchSize(g));
        if (db != null) {
            Conv2d.biasGradient(g, dy.data(), dy.offset(), db.data(), db.offset());
        }
        boolean normGradients = dx != null || dgamma != null || dbeta != null;
        if (dw == null && !normGradients) {
            return;
        }
        // The chunks run from image 0 up, so dgamma and dbeta add up in the unfused backward's order.
        ShiftedConv.ChunkImages dh = normGradients ? (n0, nb, planes) -> GroupNormSilu.backwardImages(norm, planes,
                x, mean, rstd, gamma, beta, dx, setDx, dgamma, dbeta, normScratch, n0, nb) : null;
        ShiftedConv.backwardPadded(g, dy, xp, xpOff, w, dh, dw, scratch);
    }

    private static void require(GroupNorm.Geometry norm, Conv2d.Geometry g) {
        if (!fuses(g)) {
            throw new IllegalArgumentException("NormSiluConv needs a convolution on the vector shifted products "
                    + "(stride 1, not 1x1, no Winograd, the vector engine; see fuses), got " + g);
        }
        if (norm.n() != g.n() || norm.c() != g.cin() || norm.hw() != g.h() * g.w()) {
            throw new IllegalArgumentException("NormSiluConv: the normalization's [N, C, HW] = [" + norm.n() + ", "
                    + norm.c() + ", " + norm.hw() + "] must be the convolution's input [N, Cin, H*W] = [" + g.n()
                    + ", " + g.cin() + ", " + g.h() * g.w() + "]");
        }
    }
}
