package io.sparkdiffusion.autograd;

import io.sparkdiffusion.tensor.Shape;

/** Shape and ownership checks for {@link Tape}'s ops; messages name the op, the input and the expected shape. */
final class Checks {
    private Checks() {
    }

    static void owned(Tape tape, Var v, String what) {
        if (v == null) {
            throw new IllegalArgumentException(what + ": must not be null");
        }
        if (v.tape != tape) {
            throw new IllegalArgumentException(what + ": " + v + " belongs to another tape");
        }
        if (v.generation != tape.generation()) {
            throw new IllegalStateException(what + ": " + v + " was created before the last reset(); its buffers"
                    + " have been reused");
        }
    }

    static Shape rank(Tape tape, Var v, int rank, String what, String expected) {
        owned(tape, v, what);
        Shape s = v.shape();
        if (s.rank() != rank) {
            throw new IllegalArgumentException(what + ": expected " + expected + ", got " + s);
        }
        return s;
    }

    static Shape atLeastRank(Tape tape, Var v, int rank, String what, String expected) {
        owned(tape, v, what);
        Shape s = v.shape();
        if (s.rank() < rank) {
            throw new IllegalArgumentException(what + ": expected " + expected + ", got " + s);
        }
        return s;
    }

    static void dim(Shape s, int axis, int expected, String what, String expectedText) {
        if (s.dim(axis) != expected) {
            throw new IllegalArgumentException(what + ": expected " + expectedText + ", got " + s);
        }
    }

    static void exact(Tape tape, Var v, Shape expected, String what) {
        owned(tape, v, what);
        v.shape().require(expected, what);
    }
}
