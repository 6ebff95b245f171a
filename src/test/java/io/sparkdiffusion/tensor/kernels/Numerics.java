package io.sparkdiffusion.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.function.Function;

/** Test helpers: seeded data, finite differences, tolerance checks and guarded offset buffers. */
public final class Numerics {
    /** Central-difference step for double-precision checks. */
    public static final double FD_STEP = 1e-5;
    /** Allowed |analytic - numeric| / max(1, |numeric|) for double-precision finite differences. */
    public static final double FD_TOLERANCE = 1e-6;
    /** Allowed |float kernel - double reference| relative to max(1, max |reference|). */
    public static final double FLOAT_TOLERANCE = 2e-5;
    /** Offset at which {@link #guarded} places data, so every kernel is exercised with nonzero offsets. */
    public static final int GUARD = 5;
    /** Value of the guard cells: an untouched guard proves a kernel wrote only inside its window. */
    private static final float SENTINEL = -12345.5f;

    private Numerics() {
    }

    public static double[] randn(SplittableRandom rng, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller: nextGaussian is not on SplittableRandom in Java 17.
            a[i] = Math.sqrt(-2.0 * Math.log(1.0 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
        }
        return a;
    }

    /** Doubles rounded to float and back: a reference computed on these sees exactly the kernel's inputs. */
    public static double[] floatRounded(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = (float) a[i];
        }
        return r;
    }

    /** {@code a} as floats, no guard cells. */
    public static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    /** {@code a} as floats at offset {@link #GUARD} of an array with guard cells on both sides. */
    public static float[] guarded(double[] a) {
        float[] g = new float[a.length + 2 * GUARD];
        java.util.Arrays.fill(g, SENTINEL);
        for (int i = 0; i < a.length; i++) {
            g[GUARD + i] = (float) a[i];
        }
        return g;
    }

    /** The window of a {@link #guarded} buffer as a tensor view at offset {@link #GUARD}. */
    public static Tensor view(float[] guarded) {
        return new Tensor(guarded, GUARD, Shape.of(guarded.length - 2 * GUARD));
    }

    /** A guarded buffer of n elements, all {@code value}. */
    public static float[] guardedFilled(int n, double value) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, value);
        return guarded(a);
    }

    /** Asserts the guard cells of {@code g} are untouched and the window matches {@code expected}. */
    public static void assertGuardedClose(double[] expected, float[] g, double tolerance, String what) {
        assertEquals(expected.length + 2 * GUARD, g.length, what + ": buffer length");
        for (int i = 0; i < GUARD; i++) {
            if (g[i] != SENTINEL || g[g.length - 1 - i] != SENTINEL) {
                fail(what + ": kernel wrote outside its window");
            }
        }
        assertClose(expected, g, GUARD, tolerance, what);
    }

    /** max |expected - actual| <= tolerance * max(1, max |expected|). */
    public static void assertClose(double[] expected, float[] actual, int offset, double tolerance, String what) {
        double scale = 1.0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = 0.0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - actual[offset + i]);
            if (!(diff <= worst)) {
                worst = diff;
                at = i;
            }
        }
        if (!(worst <= tolerance * scale)) {
            fail(what + ": max error " + worst + " at " + at + " (expected " + expected[at] + ", got "
                    + actual[offset + at] + "), allowed " + tolerance * scale);
        }
    }

    public static void assertClose(double[] expected, double[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double scale = Math.max(1.0, Math.abs(expected[i]));
            if (!(Math.abs(expected[i] - actual[i]) <= tolerance * scale)) {
                fail(what + ": at " + i + " expected " + expected[i] + ", got " + actual[i] + " (tolerance "
                        + tolerance + ")");
            }
        }
    }

    /**
     * Central differences of {@code loss} with respect to every element of {@code x} (modified in place and
     * restored).
     */
    public static double[] numericGradient(Function<double[], Double> loss, double[] x) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double old = x[i];
            x[i] = old + FD_STEP;
            double up = loss.apply(x);
            x[i] = old - FD_STEP;
            double down = loss.apply(x);
            x[i] = old;
            g[i] = (up - down) / (2 * FD_STEP);
        }
        return g;
    }

    /** sum_i a[i] * b[i]: the scalar probe L = <dy, f(x)> whose gradient is the backward of f applied to dy. */
    public static double dot(double[] a, double[] b) {
        double s = 0.0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** a + b elementwise. */
    public static double[] plus(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] + b[i];
        }
        return r;
    }
}
