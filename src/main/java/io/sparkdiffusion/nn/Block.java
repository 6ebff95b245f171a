package io.sparkdiffusion.nn;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;

/** A U-Net stage that maps {@code [N, C, H, W]} feature maps, optionally conditioned on the embedding. */
public sealed interface Block permits ResBlock, AttentionBlock, Downsample, Upsample {

    /**
     * @param x       the feature maps {@code [N, Cin, H, W]}
     * @param emb     the noise/class embedding {@code [N, embDim]} (ignored by blocks that take none)
     * @param draw    this training pass's dropout masks, or {@code null} for none (evaluation)
     */
    Var forward(Tape tape, Var x, Var emb, DropoutDraw draw);
}
