package io.sparkdiffusion.nn;

import io.sparkdiffusion.tensor.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * All parameters of a network in one flat {@code float[]}, and their gradients in a second one at the same
 * offsets (llm.c style), so that an optimizer step, a parameter average across Spark partitions or a
 * checkpoint is a loop over plain arrays.
 *
 * <p>Life cycle: layers {@link #add} their parameters while the network is built (names and order are the
 * PyTorch twin's {@code named_parameters()}); {@link #seal()} then allocates both arrays and fills the values
 * from one {@link SplittableRandom} seeded with {@code seed}, parameter by parameter in construction order, so
 * the same seed gives bit-identical weights on every machine.
 */
public final class ParameterStore {
    private final long seed;
    private final List<Parameter> parameters = new ArrayList<>();
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private int size;
    private float[] values;
    private float[] grads;

    /** An empty, unsealed store whose initial values will be drawn with {@code seed}. */
    public ParameterStore(long seed) {
        this.seed = seed;
    }

    /** Declares a parameter; only before {@link #seal()}. Names must be unique. */
    public Parameter add(String name, Shape shape, Init init) {
        if (values != null) {
            throw new IllegalStateException("cannot add parameter " + name + ": the store is already sealed");
        }
        if (byName.containsKey(name)) {
            throw new IllegalArgumentException("duplicate parameter name " + name);
        }
        if ((long) size + shape.size() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("parameter " + name + shape + " does not fit in one float array");
        }
        Parameter p = new Parameter(this, name, shape, size, init);
        parameters.add(p);
        byName.put(name, p);
        size += shape.size();
        return p;
    }

    /** Allocates the value and gradient arrays and draws the initial values; once. */
    public void seal() {
        if (values != null) {
            throw new IllegalStateException("the parameter store is already sealed");
        }
        values = new float[size];
        grads = new float[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (Parameter p : parameters) {
            p.init().fill(values, p.offset(), p.size(), random);
        }
    }

    public boolean isSealed() {
        return values != null;
    }

    /** The seed the initial values were drawn with. */
    public long seed() {
        return seed;
    }

    /** All parameter values, back to back in construction order (live array, not a copy). */
    public float[] values() {
        requireSealed();
        return values;
    }

    /** All gradients, at the same offsets as {@link #values()} (live array, not a copy). */
    public float[] grads() {
        requireSealed();
        return grads;
    }

    /** Sets every gradient to zero; call before each backward pass (the tape accumulates). */
    public void zeroGrads() {
        Arrays.fill(grads(), 0f);
    }

    /** Overwrites all values with {@code newValues} (e.g. averaged weights); lengths must match. */
    public void setValues(float[] newValues) {
        if (newValues.length != numParameters()) {
            throw new IllegalArgumentException("expected " + numParameters() + " parameter values, got " + newValues.length);
        }
        System.arraycopy(newValues, 0, values(), 0, newValues.length);
    }

    /** The total number of scalar parameters. */
    public int numParameters() {
        return size;
    }

    /** The parameters in construction order. */
    public List<Parameter> parameters() {
        return Collections.unmodifiableList(parameters);
    }

    /** The parameter called {@code name}; throws naming a few known names otherwise. */
    public Parameter get(String name) {
        Parameter p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named " + name + " (have " + parameters.size()
                    + " parameters, first " + parameters.subList(0, Math.min(3, parameters.size())) + ")");
        }
        return p;
    }

    private void requireSealed() {
        if (values == null) {
            throw new IllegalStateException("the parameter store is not sealed yet: call seal() after building the network");
        }
    }
}
