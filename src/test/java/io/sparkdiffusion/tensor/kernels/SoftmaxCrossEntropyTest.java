package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.FD_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.FLOAT_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.numericGradient;
import static io.sparkdiffusion.tensor.kernels.Numerics.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SoftmaxCrossEntropyTest {

    @Test
    void matchesHandCalculation() {
        // Row 0: z = (0, 0, 0), label 2: p = 1/3 each, loss ln 3. Row 1: z = (ln 3, 0, 0), label 1:
        // p = (3/5, 1/5, 1/5), loss ln 5. Mean (ln 3 + ln 5) / 2; dz = (p - onehot) / 2.
        float ln3 = (float) Math.log(3);
        float[] z = {7f, 0, 0, 0, ln3, 0, 0}; // read from offset 1
        int[] labels = {2, 1};
        float[] p = new float[6];
        assertEquals((Math.log(3) + Math.log(5)) / 2, SoftmaxCrossEntropy.forward(z, 1, labels, p, 0, 2, 3),
                FLOAT_TOLERANCE);
        float[] dz = new float[6];
        SoftmaxCrossEntropy.backward(1f, p, 0, labels, dz, 0, 2, 3);
        double third = 1.0 / 3;
        assertClose(new double[] {third / 2, third / 2, (third - 1) / 2, 0.3, (0.2 - 1) / 2, 0.1}, dz, 0,
                FLOAT_TOLERANCE, "dz");
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(5);
        int n = 4;
        int c = 5;
        double[] z = floatRounded(randn(rng, n * c));
        int[] labels = {0, 4, 2, 2};
        double[] expected = numericGradient(v -> reference(v, labels, n, c), z);
        float[] zf = new float[n * c];
        for (int i = 0; i < zf.length; i++) {
            zf[i] = (float) z[i];
        }
        float[] p = new float[n * c];
        assertEquals(reference(z, labels, n, c), SoftmaxCrossEntropy.forward(zf, 0, labels, p, 0, n, c), FLOAT_TOLERANCE);
        float[] dz = new float[n * c];
        SoftmaxCrossEntropy.backward(1f, p, 0, labels, dz, 0, n, c);
        assertClose(expected, dz, 0, FD_TOLERANCE, "dz");
    }

    @Test
    void aLabelOutsideTheClassesIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.forward(new float[4], 0, new int[] {0, 2}, null, 0, 2, 2));
        assertEquals("cross-entropy label 2 of row 1 is not a class: expected 0..1", e.getMessage());
    }

    /** The definition, in double, with the log-sum-exp written out directly. */
    private static double reference(double[] z, int[] labels, int n, int c) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += Math.exp(z[i * c + j]);
            }
            total += Math.log(sum) - z[i * c + labels[i]];
        }
        return total / n;
    }
}
