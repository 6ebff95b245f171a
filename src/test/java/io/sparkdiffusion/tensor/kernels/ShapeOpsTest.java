package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.FD_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.FLOAT_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.GUARD;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertGuardedClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.dot;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guarded;
import static io.sparkdiffusion.tensor.kernels.Numerics.guardedFilled;
import static io.sparkdiffusion.tensor.kernels.Numerics.numericGradient;
import static io.sparkdiffusion.tensor.kernels.Numerics.plus;
import static io.sparkdiffusion.tensor.kernels.Numerics.randn;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** UpsampleNearest2x, ConcatChannels, Add, Scale and AddPerChannel: the data-movement and elementwise ops. */
class ShapeOpsTest {
    private final SplittableRandom rng = new SplittableRandom(61);

    @Test
    void upsampleNearest2x() {
        int planes = 3;
        int h = 2;
        int w = 3;
        double[] x = randn(rng, planes * h * w);
        double[] dy = randn(rng, 4 * x.length);
        assertClose(numericGradient(v -> dot(dy, Reference.upsampleForward(v, planes, h, w)), x),
                Reference.upsampleBackward(dy, planes, h, w), FD_TOLERANCE, "reference dx");
        double[] xr = floatRounded(x);
        double[] dyr = floatRounded(dy);
        double[] dx0 = floatRounded(randn(rng, x.length));
        float[] y = guardedFilled(4 * x.length, Float.NaN);
        UpsampleNearest2x.forward(guarded(xr), GUARD, y, GUARD, planes, h, w);
        assertGuardedClose(Reference.upsampleForward(xr, planes, h, w), y, FLOAT_TOLERANCE, "y");
        float[] dx = guarded(dx0);
        UpsampleNearest2x.backward(guarded(dyr), GUARD, dx, GUARD, planes, h, w);
        assertGuardedClose(plus(dx0, Reference.upsampleBackward(dyr, planes, h, w)), dx, FLOAT_TOLERANCE, "dx");
    }

    @Test
    void concatChannels() {
        int n = 2;
        int ca = 3;
        int cb = 2;
        int hw = 4;
        double[] a = floatRounded(randn(rng, n * ca * hw));
        double[] b = floatRounded(randn(rng, n * cb * hw));
        double[] dy = floatRounded(randn(rng, n * (ca + cb) * hw));
        double[][] g = Reference.concatBackward(dy, n, ca, cb, hw);
        assertClose(numericGradient(v -> dot(dy, Reference.concatForward(v, b, n, ca, cb, hw)), a), g[0],
                FD_TOLERANCE, "reference da");
        assertClose(numericGradient(v -> dot(dy, Reference.concatForward(a, v, n, ca, cb, hw)), b), g[1],
                FD_TOLERANCE, "reference db");
        float[] y = guardedFilled(dy.length, Float.NaN);
        ConcatChannels.forward(guarded(a), GUARD, guarded(b), GUARD, y, GUARD, n, ca, cb, hw);
        assertGuardedClose(Reference.concatForward(a, b, n, ca, cb, hw), y, FLOAT_TOLERANCE, "y");
        double[] da0 = floatRounded(randn(rng, a.length));
        double[] db0 = floatRounded(randn(rng, b.length));
        float[] da = guarded(da0);
        float[] db = guarded(db0);
        ConcatChannels.backward(guarded(dy), GUARD, da, GUARD, db, GUARD, n, ca, cb, hw);
        assertGuardedClose(plus(da0, g[0]), da, FLOAT_TOLERANCE, "da");
        assertGuardedClose(plus(db0, g[1]), db, FLOAT_TOLERANCE, "db");
    }

    @Test
    void addAndScale() {
        double[] a = floatRounded(randn(rng, 17));
        double[] b = floatRounded(randn(rng, 17));
        double[] dy = floatRounded(randn(rng, 17));
        double[] da0 = floatRounded(randn(rng, 17));
        double[] db0 = floatRounded(randn(rng, 17));
        // d/da <dy, a + b> = dy by finite differences of the closed form.
        assertClose(numericGradient(v -> dot(dy, plus(v, b)), a), dy, FD_TOLERANCE, "closed-form d(a+b)/da");
        float[] y = guardedFilled(17, Float.NaN);
        Add.forward(guarded(a), GUARD, guarded(b), GUARD, y, GUARD, 17);
        assertGuardedClose(plus(a, b), y, FLOAT_TOLERANCE, "a + b");
        float[] da = guarded(da0);
        float[] db = guarded(db0);
        Add.backward(guarded(dy), GUARD, da, GUARD, db, GUARD, 17);
        assertGuardedClose(plus(da0, dy), da, FLOAT_TOLERANCE, "da");
        assertGuardedClose(plus(db0, dy), db, FLOAT_TOLERANCE, "db");

        float s = 0.70710677f;
        double[] scaled = new double[17];
        double[] scaledDy = new double[17];
        for (int i = 0; i < 17; i++) {
            scaled[i] = s * a[i];
            scaledDy[i] = da0[i] + s * dy[i];
        }
        float[] ys = guardedFilled(17, Float.NaN);
        Scale.forward(guarded(a), GUARD, s, ys, GUARD, 17);
        assertGuardedClose(scaled, ys, FLOAT_TOLERANCE, "s * a");
        float[] dx = guarded(da0);
        Scale.backward(guarded(dy), GUARD, s, dx, GUARD, 17);
        assertGuardedClose(scaledDy, dx, FLOAT_TOLERANCE, "dx of scale");

        // The fused residual join: s (a + b), and s dy into both gradients, by the same closed forms.
        double[] joined = new double[17];
        double[] scaledDb = new double[17];
        for (int i = 0; i < 17; i++) {
            joined[i] = s * (a[i] + b[i]);
            scaledDb[i] = db0[i] + s * dy[i];
        }
        float[] yj = guardedFilled(17, Float.NaN);
        Add.forwardScaled(guarded(a), GUARD, guarded(b), GUARD, s, yj, GUARD, 17);
        assertGuardedClose(joined, yj, FLOAT_TOLERANCE, "s (a + b)");
        float[] daj = guarded(da0);
        float[] dbj = guarded(db0);
        Add.backwardScaled(guarded(dy), GUARD, s, daj, GUARD, dbj, GUARD, 17);
        assertGuardedClose(scaledDy, daj, FLOAT_TOLERANCE, "da of s (a + b)");
        assertGuardedClose(scaledDb, dbj, FLOAT_TOLERANCE, "db of s (a + b)");
    }

    @Test
    void addPerChannel() {
        int n = 2;
        int c = 3;
        int hw = 5;
        double[] x = floatRounded(randn(rng, n * c * hw));
        double[] e = floatRounded(randn(rng, n * c));
        double[] dy = floatRounded(randn(rng, x.length));
        double[][] g = Reference.addPerChannelBackward(dy, n, c, hw);
        assertClose(numericGradient(v -> dot(dy, Reference.addPerChannelForward(v, e, n, c, hw)), x), g[0],
                FD_TOLERANCE, "reference dx");
        assertClose(numericGradient(v -> dot(dy, Reference.addPerChannelForward(x, v, n, c, hw)), e), g[1],
                FD_TOLERANCE, "reference de");
        float[] y = guardedFilled(x.length, Float.NaN);
        AddPerChannel.forward(guarded(x), GUARD, guarded(e), GUARD, y, GUARD, n, c, hw);
        assertGuardedClose(Reference.addPerChannelForward(x, e, n, c, hw), y, FLOAT_TOLERANCE, "y");
        double[] dx0 = floatRounded(randn(rng, x.length));
        double[] de0 = floatRounded(randn(rng, e.length));
        float[] dx = guarded(dx0);
        float[] de = guarded(de0);
        AddPerChannel.backward(guarded(dy), GUARD, dx, GUARD, de, GUARD, n, c, hw);
        assertGuardedClose(plus(dx0, g[0]), dx, FLOAT_TOLERANCE, "dx");
        assertGuardedClose(plus(de0, g[1]), de, FLOAT_TOLERANCE, "de");
    }
}
