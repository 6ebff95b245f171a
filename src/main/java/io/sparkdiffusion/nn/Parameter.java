package io.sparkdiffusion.nn;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

/**
 * One named parameter of a {@link ParameterStore}: its value is {@code values[offset, offset + size)} and its
 * gradient {@code grads[offset, offset + size)} of the store's two flat arrays.
 */
public final class Parameter {
    private final ParameterStore store;
    private final String name;
    private final Shape shape;
    private final int offset;
    private final Init init;

    Parameter(ParameterStore store, String name, Shape shape, int offset, Init init) {
        this.store = store;
        this.name = name;
        this.shape = shape;
        this.offset = offset;
        this.init = init;
    }

    /** The PyTorch-twin name, e.g. {@code enc.0.conv0.weight}. */
    public String name() {
        return name;
    }

    public Shape shape() {
        return shape;
    }

    /** Where this parameter starts in the store's flat value and gradient arrays. */
    public int offset() {
        return offset;
    }

    public int size() {
        return shape.size();
    }

    Init init() {
        return init;
    }

    /** A view of the value in the store's flat value array (the store must be sealed). */
    public Tensor value() {
        return new Tensor(store.values(), offset, shape);
    }

    /** A view of the gradient in the store's flat gradient array (the store must be sealed). */
    public Tensor grad() {
        return new Tensor(store.grads(), offset, shape);
    }

    /** Records this parameter on {@code tape}; backward accumulates its gradient into {@link #grad()}. */
    public Var on(Tape tape) {
        return tape.parameter(value(), grad());
    }

    @Override
    public String toString() {
        return name + shape;
    }
}
