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

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GroupNormTest {
    private static final double EPS = 1e-5;

    @ParameterizedTest
    @CsvSource({"2, 4, 3, 1", "2, 4, 3, 2", "1, 6, 4, 6", "2, 6, 2, 3"})
    void referenceBackwardMatchesFiniteDifferences(int n, int c, int hw, int groups) {
        SplittableRandom rng = new SplittableRandom(31);
        double[] x = randn(rng, n * c * hw);
        double[] gamma = randn(rng, c);
        double[] beta = randn(rng, c);
        double[] dy = randn(rng, x.length);
        double[][] g = Reference.groupNormBackward(dy, x, gamma, n, c, hw, groups, EPS);
        assertClose(numericGradient(v -> dot(dy, Reference.groupNormForward(v, gamma, beta, n, c, hw, groups, EPS)),
                x), g[0], FD_TOLERANCE, "dx");
        assertClose(numericGradient(v -> dot(dy, Reference.groupNormForward(x, v, beta, n, c, hw, groups, EPS)),
                gamma), g[1], FD_TOLERANCE, "dgamma");
        assertClose(numericGradient(v -> dot(dy, Reference.groupNormForward(x, gamma, v, n, c, hw, groups, EPS)),
                beta), g[2], FD_TOLERANCE, "dbeta");
    }

    @ParameterizedTest
    @CsvSource({"2, 4, 3, 1", "2, 4, 3, 2", "1, 6, 4, 6", "3, 32, 49, 8", "2, 16, 196, 4", "2, 8, 9, 8"})
    void fastKernelsMatchReference(int n, int c, int hw, int groups) {
        SplittableRandom rng = new SplittableRandom(32);
        double[] x = randn(rng, n * c * hw);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3.0 + 2.0 * x[i]); // an offset mean exercises the centring
        }
        double[] gamma = floatRounded(randn(rng, c));
        double[] beta = floatRounded(randn(rng, c));
        double[] dy = floatRounded(randn(rng, x.length));
        double[] dx0 = floatRounded(randn(rng, x.length));
        double[] dg0 = floatRounded(randn(rng, c));
        double[] db0 = floatRounded(randn(rng, c));
        float[] y = guardedFilled(x.length, Float.NaN);
        float[] stats = new float[2 * n * groups + 3];
        float[] xf = guarded(x);
        GroupNorm.Geometry geo = new GroupNorm.Geometry(n, c, hw, groups);
        Tensor mean = new Tensor(stats, 1, Shape.of(n * groups));
        Tensor rstd = new Tensor(stats, 1 + n * groups, Shape.of(n * groups));
        GroupNorm.forward(geo, view(xf), view(guarded(gamma)), view(guarded(beta)), view(y), mean, rstd, (float) EPS);
        assertGuardedClose(Reference.groupNormForward(x, gamma, beta, n, c, hw, groups, EPS), y, FLOAT_TOLERANCE, "y");
        float[] dx = guarded(dx0);
        float[] dg = guarded(dg0);
        float[] db = guarded(db0);
        GroupNorm.backward(geo, view(guarded(dy)), view(xf), mean, rstd, view(guarded(gamma)), view(dx), view(dg),
                view(db));
        double[][] g = Reference.groupNormBackward(dy, x, gamma, n, c, hw, groups, EPS);
        assertGuardedClose(plus(dx0, g[0]), dx, FLOAT_TOLERANCE, "dx");
        assertGuardedClose(plus(dg0, g[1]), dg, FLOAT_TOLERANCE, "dgamma");
        assertGuardedClose(plus(db0, g[2]), db, FLOAT_TOLERANCE, "dbeta");
    }
}
