package io.sparkdiffusion.tensor.kernels;

import static io.sparkdiffusion.tensor.kernels.Numerics.FD_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.FLOAT_TOLERANCE;
import static io.sparkdiffusion.tensor.kernels.Numerics.assertClose;
import static io.sparkdiffusion.tensor.kernels.Numerics.floatRounded;
import static io.sparkdiffusion.tensor.kernels.Numerics.numericGradient;
import static io.sparkdiffusion.tensor.kernels.Numerics.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SoftmaxCrossEntropyTest {

    @Test
    void matchesHandCalculation() {
        // Row 0: z = (0, 0, 0), label 2: p = 1/3 each, loss ln 3. Row 1: z = (ln 3, 0, 0), label 1:
        // p = (3/5, 1/5, 1/5), loss ln 5. Mean (ln 3 + ln 5) / 2; dz = (p - onehot) / 2.
        float ln3 = (float) Math.log(3);
        float[] z = {7f, 0, 0, 0, ln3, 0, 0}; // a view from offset 1
        int[] labels = {2, 1};
        float[] p = new float[6];
        SoftmaxCrossEntropy.Geometry g = new SoftmaxCrossEntropy.Geometry(2, 3);
        Shape s = Shape.of(2, 3);
        assertEquals((Math.log(3) + Math.log(5)) / 2, SoftmaxCrossEntropy.forward(g, new Tensor(z, 1, s), labels,
                new Tensor(p, s)), FLOAT_TOLERANCE);
        float[] dz = new float[6];
        SoftmaxCrossEntropy.backward(g, 1f, new Tensor(p, s), labels, new Tensor(dz, s));
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
        SoftmaxCrossEntropy.Geometry g = new SoftmaxCrossEntropy.Geometry(n, c);
        Shape s = Shape.of(n, c);
        assertEquals(reference(z, labels, n, c), SoftmaxCrossEntropy.forward(g, new Tensor(zf, s), labels,
                new Tensor(p, s)), FLOAT_TOLERANCE);
        float[] dz = new float[n * c];
        SoftmaxCrossEntropy.backward(g, 1f, new Tensor(p, s), labels, new Tensor(dz, s));
        assertClose(expected, dz, 0, FD_TOLERANCE, "dz");
    }

    @Test
    void badLabelsAndShortViewsAreRejected() {
        SoftmaxCrossEntropy.Geometry g = new SoftmaxCrossEntropy.Geometry(2, 2);
        Tensor z = new Tensor(new float[4], Shape.of(2, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.forward(g, z, new int[] {0, 2}, null));
        assertEquals("cross-entropy label 2 of row 1 is not a class: expected 0..1", e.getMessage());
        IllegalArgumentException shortView = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.forward(g, new Tensor(new float[4], 1, Shape.of(3)), new int[] {0, 1}, null));
        assertEquals("SoftmaxCrossEntropy logits: expected a view of [N, C] = 4 floats, got 3", shortView.getMessage());
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
