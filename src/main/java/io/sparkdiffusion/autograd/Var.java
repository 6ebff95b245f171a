package io.sparkdiffusion.autograd;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

/**
 * A node of a {@link Tape}: a value, its gradient once backward has reached it, and how to push that
 * gradient to the node's inputs.
 *
 * <p>A Var is valid until its tape's next {@link Tape#reset()}: its buffers then return to the tape's pool and
 * are reused by the next step. Using it afterwards in an op is an error.
 */
public final class Var {
    final Tape tape;
    final long generation;
    final boolean requiresGrad;
    private final Tensor value;
    Tensor grad;
    /** Pushes this node's grad to its inputs; null for leaves and nodes without a gradient. */
    Runnable backward;

    Var(Tape tape, Tensor value, Tensor grad, boolean requiresGrad) {
        this.tape = tape;
        this.generation = tape.generation();
        this.value = value;
        this.grad = grad;
        this.requiresGrad = requiresGrad;
    }

    /** The forward value. */
    public Tensor value() {
        return value;
    }

    /**
     * The gradient d loss / d this, of this Var's shape, for leaves: an {@link Tape#input}'s grad (owned by the
     * tape, valid until reset) or a {@link Tape#parameter}'s grad view (accumulated). Null for constants and
     * for intermediate nodes: their gradients are recycled as soon as backward has passed through them.
     */
    public Tensor grad() {
        return grad;
    }

    public Shape shape() {
        return value.shape();
    }

    /** True when a gradient flows to this Var (it depends on an input or a parameter in a recording tape). */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    @Override
    public String toString() {
        return "Var" + value.shape() + (requiresGrad ? " (grad)" : "");
    }
}
