package io.sparkdiffusion.spark;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/** Param validators as serializable Scala functions (Spark's Params take {@code T => Boolean}). */
final class Validators {
    private Validators() {
    }

    private static final class Check<T> extends AbstractFunction1<T, Object> implements Serializable {
        private final SerializablePredicate<T> test;

        Check(SerializablePredicate<T> test) {
            this.test = test;
        }

        @Override
        public Object apply(T value) {
            return test.test(value);
        }
    }

    interface SerializablePredicate<T> extends Predicate<T>, Serializable {
    }

    static <T> scala.Function1<T, Object> of(SerializablePredicate<T> test) {
        return new Check<>(test);
    }

    /**
     * A string Param with a fixed list of allowed values, the one way such a Param is made: its doc ends with the
     * list ({@code "<doc> (one of a, b, c)"}) and {@link #oneOf} validates against the same list.
     */
    static Param<String> choice(Params owner, String name, String doc, List<String> allowed) {
        return new Param<>(owner, name, doc + " (one of " + String.join(", ", allowed) + ")",
                oneOf(allowed.toArray(String[]::new)));
    }

    /** The names of {@code values} at the edges (each enum's {@code id()}), in declaration order. */
    static <E> List<String> ids(E[] values, Function<E, String> id) {
        return Arrays.stream(values).map(id).toList();
    }

    /** A string among {@code allowed}, compared case-insensitively. */
    static scala.Function1<String, Object> oneOf(String... allowed) {
        String[] lower = Arrays.stream(allowed).map(s -> s.toLowerCase(Locale.ROOT)).toArray(String[]::new);
        return of(v -> v != null && Arrays.asList(lower).contains(v.toLowerCase(Locale.ROOT)));
    }

    static scala.Function1<Object, Object> intAtLeast(int min) {
        return of(v -> ((Integer) v) >= min);
    }

    static scala.Function1<Object, Object> longAtLeast(long min) {
        return of(v -> ((Long) v) >= min);
    }

    /** A finite double. */
    static scala.Function1<Object, Object> finite() {
        return of(v -> Double.isFinite((Double) v));
    }

    /** A double in the open interval {@code (lo, hi)}. */
    static scala.Function1<Object, Object> doubleInOpen(double lo, double hi) {
        return of(v -> ((Double) v) > lo && ((Double) v) < hi);
    }

    /** A finite double {@code >= min}. */
    static scala.Function1<Object, Object> doubleAtLeast(double min) {
        return of(v -> Double.isFinite((Double) v) && ((Double) v) >= min);
    }

    /** A finite double {@code > min}. */
    static scala.Function1<Object, Object> doubleAbove(double min) {
        return of(v -> Double.isFinite((Double) v) && ((Double) v) > min);
    }

    /** A double in {@code [lo, hi]}. */
    static scala.Function1<Object, Object> doubleIn(double lo, double hi) {
        return of(v -> ((Double) v) >= lo && ((Double) v) <= hi);
    }

    /** A double in {@code [lo, hi)}. */
    static scala.Function1<Object, Object> doubleInHalfOpen(double lo, double hi) {
        return of(v -> ((Double) v) >= lo && ((Double) v) < hi);
    }

    /** An int array whose entries are all {@code >= min}. */
    static scala.Function1<int[], Object> allAtLeast(int min) {
        return of(a -> a != null && Arrays.stream(a).allMatch(x -> x >= min));
    }
}
