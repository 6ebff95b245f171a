package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.FD_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.FLOAT_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertGuardedClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.dot;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guarded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guardedFilled;
import static io.sparkdiffusion.tensor.kernels.Numerics.numericGradient;
import static io.sparkdiffusion.tensor.kernels.Numerics.plus;
import static io.sparkdiffusion.tensor.kernels.Numerics.randn;
import static io.sparkdiffusion.tensor.kernels.Numerics.view;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused silu(groupNorm(x)): the double reference (the two existing references composed) against central
 * differences, then the float kernel against that reference, gradients accumulating onto nonzero values.
 */
class GroupNormSiluTest {
    private static final double EPS = 1e-5;

    @ParameterizedTest
    @CsvSource({"2, 4, 3, 1", "2, 4, 3, 2", "1, 6, 4, 6", "2, 6, 5, 3"})
    void referenceBackwardMatchesFiniteDifferences(int n, int c, int hw, int groups) {
        SplittableRandom rng = new SplittableRandom(51);
        double[] x = randn(rng, n * c * hw);
        double[] gamma = randn(rng, c);
        double[] beta = randn(rng, c);
        double[] dy = randn(rng, x.length);
        double[][] g = Reference.groupNormSiluBackward(dy, x, gamma, beta, n, c, hw, groups, EPS);
        assertClose(numericGradient(v -> dot(dy, Reference.groupNormSiluForward(v, gamma, beta, n, c, hw, groups,
                EPS)), x), g[0], FD_TOLERANCE, "dx");
        assertClose(numericGradient(v -> dot(dy, Reference.groupNormSiluForward(x, v, beta, n, c, hw, groups,
                EPS)), gamma), g[1], FD_TOLERANCE, "dgamma");
        assertClose(numericGradient(v -> dot(dy, Reference.groupNormSiluForward(x, gamma, v, n, c, hw, groups,
                EPS)), beta), g[2], FD_TOLERANCE, "dbeta");
    }

    /**
     * Both engines on groups of 1 channel (c = groups), odd HW (shorter and longer than a vector, with tails),
     * N > 1, and the unet-small shapes at small N.
     */
    static Stream<Arguments> enginesAndShapes() {
        int[][] shapes = {{2, 4, 3, 1}, {2, 4, 3, 4}, {1, 6, 4, 6}, {3, 32, 49, 8}, {2, 16, 196, 4}, {2, 8, 9, 8},
                {2, 32, 784, 8}, {1, 5, 7, 1}, {2, 4, 37, 2}};
        return Stream.of(GroupNormSilu.Engine.values()).flatMap(e -> Stream.of(shapes)
                .map(s -> Arguments.of(e, s[0], s[1], s[2], s[3])));
    }

    @ParameterizedTest
    @MethodSource("enginesAndShapes")
    void fastKernelsMatchReference(GroupNormSilu.Engine engine, int n, int c, int hw, int groups) {
        assumeTrue(engine != GroupNormSilu.Engine.VECTOR || GroupNormSilu.Engine.vectorModuleLoaded(),
                "the VECTOR engine needs --add-modules=jdk.incubator.vector (the pom's surefire argLine has it)");
        SplittableRandom rng = new SplittableRandom(52);
        double[] x = randn(rng, n * c * hw);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3.0 + 2.0 * x[i]); // an offset mean exercises the centring
        }
        double[] gamma = floatRounded(scaled(randn(rng, c), 2.0)); // |a| of several units reaches silu's tails
        double[] beta = floatRounded(randn(rng, c));
        double[] dy = floatRounded(randn(rng, x.length));
        double[] dx0 = floatRounded(randn(rng, x.length));
        double[] dg0 = floatRounded(randn(rng, c));
        double[] db0 = floatRounded(randn(rng, c));
        GroupNormSilu.Scratch scratch = new GroupNormSilu.Scratch(hw, c / groups * hw);

        float[] y = guardedFilled(x.length, Float.NaN);
        float[] stats = new float[2 * n * groups + 3];
        int rstdOff = 1 + n * groups;
        float[] xf = guarded(x);
        float[] gf = guarded(gamma);
        float[] bf = guarded(beta);
        GroupNorm.Geometry geo = new GroupNorm.Geometry(n, c, hw, groups);
        Tensor mean = new Tensor(stats, 1, Shape.of(n * groups));
        Tensor rstd = new Tensor(stats, rstdOff, Shape.of(n * groups));
        GroupNormSilu.forward(engine, geo, view(xf), view(gf), view(bf), view(y), mean, rstd, (float) EPS, scratch);
        assertGuardedClose(Reference.groupNormSiluForward(x, gamma, beta, n, c, hw, groups, EPS), y,
                FLOAT_TOLERANCE, engine + " y");

        double[][] g = Reference.groupNormSiluBackward(dy, x, gamma, beta, n, c, hw, groups, EPS);
        float[] dyf = guarded(dy);
        float[] dx = guarded(dx0);
        float[] dg = guarded(dg0);
        float[] db = guarded(db0);
        GroupNormSilu.backward(engine, geo, view(dyf), view(xf), mean, rstd, view(gf), view(bf), view(dx), view(dg),
                view(db), scratch);
        assertGuardedClose(plus(dx0, g[0]), dx, FLOAT_TOLERANCE, engine + " dx");
        assertGuardedClose(plus(dg0, g[1]), dg, FLOAT_TOLERANCE, engine + " dgamma");
        assertGuardedClose(plus(db0, g[2]), db, FLOAT_TOLERANCE, engine + " dbeta");

        // Each gradient may be null: the others are still accumulated, unchanged.
        float[] dxOnly = guarded(dx0);
        GroupNormSilu.backward(engine, geo, view(dyf), view(xf), mean, rstd, view(gf), view(bf), view(dxOnly), null,
                null, scratch);
        assertGuardedClose(plus(dx0, g[0]), dxOnly, FLOAT_TOLERANCE, engine + " dx alone");
        float[] dgOnly = guarded(dg0);
        float[] dbOnly = guarded(db0);
        GroupNormSilu.backward(engine, geo, view(dyf), view(xf), mean, rstd, view(gf), view(bf), null, view(dgOnly),
                view(dbOnly), scratch);
        assertGuardedClose(plus(dg0, g[1]), dgOnly, FLOAT_TOLERANCE, engine + " dgamma without dx");
        assertGuardedClose(plus(db0, g[2]), dbOnly, FLOAT_TOLERANCE, engine + " dbeta without dx");
    }

    @Test
    void oneScratchServesSmallerShapesAndATooSmallOneIsRejected() {
        GroupNormSilu.Scratch scratch = new GroupNormSilu.Scratch(784, 4 * 784);
        assertTrue(scratch.fits(32, 784, 8));
        assertTrue(scratch.fits(64, 49, 16));
        assertFalse(scratch.fits(64, 784, 8), "8 channels per group need 8 * 784 floats");
        float[] x = new float[64 * 784];
        float[] stats = new float[16];
        float[] ones = new float[64];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GroupNormSilu.forward(new GroupNorm.Geometry(1, 64, 784, 8), new Tensor(x, Shape.of(x.length)),
                        new Tensor(ones, Shape.of(64)), new Tensor(ones, Shape.of(64)),
                        new Tensor(new float[x.length], Shape.of(x.length)), new Tensor(stats, 0, Shape.of(8)),
                        new Tensor(stats, 8, Shape.of(8)), 1e-5f, scratch));
        assertTrue(e.getMessage().contains("needs 784 and 6272"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GroupNormSilu.Scratch(0, 4));
    }

    private static double[] scaled(double[] a, double s) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= s;
        }
        return a;
    }
}
