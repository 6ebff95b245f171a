package io.sparkdiffusion.tensor;

import java.util.Arrays;

/**
 * A float32 row-major tensor: a window {@code data[offset, offset + shape.size())} of a float array.
 *
 * <p>Several tensors may view one array (all parameters of a network live in one flat buffer, llm.c style),
 * so kernels always index {@code data[offset + i]}. There is no implicit broadcasting: every op states the
 * shapes it takes.
 */
public final class Tensor {
    private final float[] data;
    private final int offset;
    private final Shape shape;

    /** A view of {@code data} from {@code offset} holding {@code shape.size()} elements. */
    public Tensor(float[] data, int offset, Shape shape) {
        if (offset < 0 || (long) offset + shape.size() > data.length) {
            throw new IllegalArgumentException("a tensor of shape " + shape + " at offset " + offset
                    + " does not fit in an array of " + data.length + " floats");
        }
        this.data = data;
        this.offset = offset;
        this.shape = shape;
    }

    /** A tensor that owns all of {@code data}. */
    public Tensor(float[] data, Shape shape) {
        this(data, 0, shape);
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("shape " + shape + " holds " + shape.size() + " elements, got an array of "
                    + data.length);
        }
    }

    /** A new zero-filled tensor. */
    public static Tensor zeros(Shape shape) {
        return new Tensor(new float[shape.size()], shape);
    }

    public static Tensor zeros(int... dims) {
        return zeros(Shape.of(dims));
    }

    /** The backing array; elements live at {@code offset() .. offset() + size() - 1}. */
    public float[] data() {
        return data;
    }

    public int offset() {
        return offset;
    }

    public Shape shape() {
        return shape;
    }

    public int size() {
        return shape.size();
    }

    /** The element at flat index {@code i} of this view. */
    public float get(int i) {
        return data[offset + i];
    }

    /** Sets the element at flat index {@code i} of this view. */
    public void set(int i, float value) {
        data[offset + i] = value;
    }

    /** The same elements under another shape of equal size (no copy). */
    public Tensor reshape(Shape newShape) {
        if (newShape.size() != shape.size()) {
            throw new IllegalArgumentException("cannot reshape " + shape + " (" + shape.size() + " elements) to " + newShape
                    + " (" + newShape.size() + " elements)");
        }
        return new Tensor(data, offset, newShape);
    }

    /** A copy of this view's elements as a fresh array. */
    public float[] toArray() {
        return Arrays.copyOfRange(data, offset, offset + size());
    }

    /** A deep copy that owns its own array. */
    public Tensor copy() {
        return new Tensor(toArray(), shape);
    }

    /** Copies {@code src}'s elements into this view; shapes must be equal. */
    public void copyFrom(Tensor src) {
        src.shape.require(shape, "copyFrom source");
        System.arraycopy(src.data, src.offset, data, offset, size());
    }

    /** Sets every element to {@code value}. */
    public void fillInPlace(float value) {
        Arrays.fill(data, offset, offset + size(), value);
    }

    @Override
    public String toString() {
        return "Tensor" + shape;
    }
}
