package io.sparkdiffusion.nn;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.tensor.Shape;

/**
 * Group normalization (Wu and He 2018) with {@code groups = min(32, C / 4)} and {@code eps = 1e-5}, the
 * reference network's choice: x {@code [N, C, H, W]}, gamma and beta {@code [C]} (start at 1 and 0).
 */
public final class GroupNorm {
    /** The variance epsilon of every GroupNorm in the U-Net. */
    public static final float EPS = 1e-5f;

    private final Parameter gamma; // [C]
    private final Parameter beta;  // [C]
    private final int groups;

    public GroupNorm(ParameterStore store, String name, int channels) {
        this.groups = groupsFor(channels);
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException(name + ": GroupNorm needs channels divisible by min(32, channels / 4) >= 1, got "
                    + channels + " channels (" + groups + " groups); use a multiple of 4 below 128 and of 32 above");
        }
        this.gamma = store.add(name + ".weight", Shape.of(channels), new Init.Constant(1f));
        this.beta = store.add(name + ".bias", Shape.of(channels), new Init.Constant(0f));
    }

    /** {@code min(32, channels / 4)}. */
    public static int groupsFor(int channels) {
        return Math.min(32, channels / 4);
    }

    public Var forward(Tape tape, Var x) {
        return tape.groupNorm(x, gamma.on(tape), beta.on(tape), groups, EPS);
    }

    Var gamma(Tape tape) {
        return gamma.on(tape);
    }

    Var beta(Tape tape) {
        return beta.on(tape);
    }

    int groups() {
        return groups;
    }

    /** {@code silu(forward(tape, x))} as one fused op ({@link Tape#groupNormSilu}): same parameters, less memory. */
    public Var forwardSilu(Tape tape, Var x) {
        return tape.groupNormSilu(x, gamma.on(tape), beta.on(tape), groups, EPS);
    }
}
