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

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SiluTest {

    @Test
    void referenceBackwardMatchesFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(41);
        double[] x = randn(rng, 20);
        double[] dy = randn(rng, 20);
        assertClose(numericGradient(v -> dot(dy, Reference.siluForward(v)), x), Reference.siluBackward(dy, x),
                FD_TOLERANCE, "dx");
    }

    @Test
    void fastKernelsMatchReferenceWithAndWithoutSavedSigmoid() {
        SplittableRandom rng = new SplittableRandom(42);
        double[] x = randn(rng, 1000);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (x[i] * 10.0); // reaches the saturated tails
        }
        x[0] = -100.0;
        x[1] = 100.0;
        double[] dy = floatRounded(randn(rng, x.length));
        double[] dx0 = floatRounded(randn(rng, x.length));
        float[] y = guardedFilled(x.length, Float.NaN);
        float[] sig = guardedFilled(x.length, Float.NaN);
        Silu.forward(guarded(x), GUARD, y, GUARD, sig, GUARD, x.length);
        assertGuardedClose(Reference.siluForward(x), y, FLOAT_TOLERANCE, "y");
        double[] expected = plus(dx0, Reference.siluBackward(dy, x));
        float[] dxSaved = guarded(dx0);
        Silu.backward(guarded(dy), GUARD, guarded(x), GUARD, sig, GUARD, dxSaved, GUARD, x.length);
        assertGuardedClose(expected, dxSaved, FLOAT_TOLERANCE, "dx (saved sigmoid)");
        float[] dxRecomputed = guarded(dx0);
        Silu.backward(guarded(dy), GUARD, guarded(x), GUARD, null, 0, dxRecomputed, GUARD, x.length);
        assertGuardedClose(expected, dxRecomputed, FLOAT_TOLERANCE, "dx (recomputed)");
        float[] yNoSave = guardedFilled(x.length, Float.NaN);
        Silu.forward(guarded(x), GUARD, yNoSave, GUARD, null, 0, x.length);
        assertEquals(-0f, yNoSave[GUARD] * 0f, "silu(-100) is finite");
    }
}
