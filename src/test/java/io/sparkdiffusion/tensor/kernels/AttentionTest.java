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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AttentionTest {

    @ParameterizedTest
    @CsvSource({"1, 2, 5", "2, 4, 3", "1, 3, 3"})
    void referenceBackwardMatchesFiniteDifferences(int n, int c, int p) {
        SplittableRandom rng = new SplittableRandom(51);
        double[] qkv = randn(rng, n * 3 * c * p);
        double[] dOut = randn(rng, n * c * p);
        assertClose(numericGradient(v -> dot(dOut, Reference.attentionForward(v, n, c, p)), qkv),
                Reference.attentionBackward(dOut, qkv, n, c, p), FD_TOLERANCE, "dqkv");
    }

    /** Positions P both above and below the channel count C, including the network's 7x7 x 64 case. */
    @ParameterizedTest
    @CsvSource({"1, 2, 5", "2, 4, 3", "2, 8, 49", "3, 16, 4", "2, 64, 49"})
    void fastKernelsMatchReference(int n, int c, int p) {
        SplittableRandom rng = new SplittableRandom(52);
        double[] qkv = floatRounded(randn(rng, n * 3 * c * p));
        double[] dOut = floatRounded(randn(rng, n * c * p));
        double[] d0 = floatRounded(randn(rng, qkv.length));
        float[] qkvf = guarded(qkv);
        float[] out = guardedFilled(n * c * p, Float.NaN);
        float[] probs = guardedFilled(n * p * p, Float.NaN);
        Attention.forward(qkvf, GUARD, out, GUARD, probs, GUARD, p * p, n, c, p);
        assertGuardedClose(Reference.attentionForward(qkv, n, c, p), out, FLOAT_TOLERANCE, "out");
        float[] dqkv = guarded(d0);
        Attention.backward(guarded(dOut), GUARD, qkvf, GUARD, probs, GUARD, dqkv, GUARD, n, c, p, new float[p * p]);
        assertGuardedClose(plus(d0, Reference.attentionBackward(dOut, qkv, n, c, p)), dqkv, FLOAT_TOLERANCE, "dqkv");
        float[] outScratch = guardedFilled(n * c * p, Float.NaN);
        Attention.forward(qkvf, GUARD, outScratch, GUARD, new float[p * p], 0, 0, n, c, p);
        assertGuardedClose(Reference.attentionForward(qkv, n, c, p), outScratch, FLOAT_TOLERANCE,
                "out with shared probs scratch");
    }
}
