package io.sparkdiffusion.model;

import io.sparkdiffusion.diffusion.ParameterizationKind;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.train.DiffusionObjective;
import io.sparkdiffusion.train.TinyNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UNetDenoiserTest {
    private static final double TOL = 1e-12;
    private static final double SIGMA_DATA = 0.5;

    /**
     * With all weights zero the raw network outputs 0 (every output passes through conv_out, whose weight and bias
     * are 0), so D(x; sigma) = cSkip(sigma) x, with EDM's cSkip = sigmaData^2 / (sigma^2 + sigmaData^2).
     */
    @Test
    void zeroNetworkLeavesTheSkipConnection() {
        UNetConfig spec = TinyNets.tiny(0);
        int params = new DiffusionObjective(spec, ParameterizationKind.EDM.defaults(), 0).numParameters();
        UNetDenoiser d = new UNetDenoiser(spec, ParameterizationKind.EDM.defaults(), new float[params]);
        int dim = spec.imageSize();
        double[] x = new double[2 * dim];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        double[] sigma = {0.3, 7.0};
        double[] out = new double[x.length];
        d.denoise(x, sigma, null, 2, dim, out);
        for (int i = 0; i < 2; i++) {
            double cSkip = SIGMA_DATA * SIGMA_DATA / (sigma[i] * sigma[i] + SIGMA_DATA * SIGMA_DATA);
            for (int j = 0; j < dim; j++) {
                assertEquals(cSkip * x[i * dim + j], out[i * dim + j], TOL);
            }
        }
    }

    /** Row i of a batch is the same, bit for bit, as row i denoised alone (the samplers rely on it). */
    @Test
    void rowsAreIndependentOfTheirBatch() {
        UNetConfig spec = TinyNets.tiny(3);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.EDM.defaults(), 0);
        float[] w = new float[obj.numParameters()];
        obj.initialize(w, 5);
        UNetDenoiser d = new UNetDenoiser(spec, ParameterizationKind.EDM.defaults(), w);
        int dim = spec.imageSize();
        int n = 5;
        double[] x = new double[n * dim];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        double[] sigma = {0.1, 1, 2, 5, 40};
        int[] labels = {0, -1, 2, 1, 0};
        double[] all = new double[n * dim];
        d.denoise(x, sigma, labels, n, dim, all);
        for (int i = 0; i < n; i++) {
            double[] one = new double[dim];
            d.denoise(java.util.Arrays.copyOfRange(x, i * dim, (i + 1) * dim), new double[] {sigma[i]},
                    new int[] {labels[i]}, 1, dim, one);
            assertArrayEquals(java.util.Arrays.copyOfRange(all, i * dim, (i + 1) * dim), one, "row " + i);
        }
    }

    /**
     * Issue 12, item 1: on the full unet-small (1x28x28, with and without classes), every row's output is bit for
     * bit the one it has alone, inside batches of 2, 7 and 64 with different neighbours at different positions.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 10})
    void unetSmallRowsAreBitIdenticalAloneAndInBatchesOf2And7And64(int numClasses) {
        assertTrue(UNetDenoiser.batched(), "the test JVM has the vector kernels, so rows share forward passes");
        UNetConfig spec = UNetConfig.small(1, 28, numClasses);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.EDM.defaults(), 0);
        float[] w = new float[obj.numParameters()];
        obj.initialize(w, 7);
        UNetDenoiser d = new UNetDenoiser(spec, ParameterizationKind.EDM.defaults(), w);
        int dim = spec.imageSize();
        int rows = 64;
        SplittableRandom r = new SplittableRandom(11 + numClasses);
        double[] x = new double[rows * dim];
        double[] sigma = new double[rows];
        int[] labels = numClasses == 0 ? null : new int[rows];
        for (int i = 0; i < rows; i++) {
            sigma[i] = 0.002 * Math.pow(80 / 0.002, r.nextDouble()); // EDM's sigma range, log-uniform
            for (int j = 0; j < dim; j++) {
                x[i * dim + j] = sigma[i] * r.nextGaussian() + (r.nextDouble() - 0.5);
            }
            if (labels != null) {
                labels[i] = r.nextInt(-1, numClasses); // -1: no label, as classifier-free guidance passes
            }
        }
        double[][] alone = new double[rows][dim];
        for (int i = 0; i < rows; i++) {
            d.denoise(Arrays.copyOfRange(x, i * dim, (i + 1) * dim), new double[] {sigma[i]},
                    labels == null ? null : new int[] {labels[i]}, 1, dim, alone[i]);
        }
        int[] pair = {41, 5};
        int[] seven = {63, 0, 17, 5, 32, 8, 41};
        int[] all = new int[rows];
        for (int i = 0; i < rows; i++) {
            all[i] = (i * 37 + 3) % rows; // a permutation: 37 is prime to 64
        }
        for (int[] batch : new int[][] {pair, seven, all}) {
            int n = batch.length;
            double[] bx = new double[n * dim];
            double[] bs = new double[n];
            int[] bl = labels == null ? null : new int[n];
            for (int k = 0; k < n; k++) {
                System.arraycopy(x, batch[k] * dim, bx, k * dim, dim);
                bs[k] = sigma[batch[k]];
                if (bl != null) {
                    bl[k] = labels[batch[k]];
                }
            }
            double[] out = new double[n * dim];
            d.denoise(bx, bs, bl, n, dim, out);
            for (int k = 0; k < n; k++) {
                assertArrayEquals(alone[batch[k]], Arrays.copyOfRange(out, k * dim, (k + 1) * dim),
                        "row " + batch[k] + " at position " + k + " of a batch of " + n);
            }
        }
    }

    /**
     * Two models sampled in turns on one thread share its network and inference tape, which keeps the convolutions'
     * transformed weights across passes (on machines where Winograd runs): each model's output must be the one a
     * fresh thread gives it, not one computed with the other model's kept weights.
     */
    @Test
    void twoModelsTakingTurnsOnOneThreadEachGiveTheirOwnOutput() throws InterruptedException {
        UNetConfig spec = UNetConfig.small(1, 28, 0);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.EDM.defaults(), 0);
        float[] wa = new float[obj.numParameters()];
        float[] wb = new float[obj.numParameters()];
        obj.initialize(wa, 7);
        obj.initialize(wb, 8);
        int dim = spec.imageSize();
        SplittableRandom r = new SplittableRandom(13);
        double[] x = new double[3 * dim];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        double[] sigma = {0.05, 1.5, 30};
        double[][] turns = new double[3][];
        onFreshThread(() -> {
            turns[0] = denoise(spec, wa, x, sigma);
            turns[1] = denoise(spec, wb, x, sigma);
            turns[2] = denoise(spec, wa, x, sigma);
        });
        double[][] alone = new double[2][];
        onFreshThread(() -> alone[0] = denoise(spec, wa, x, sigma));
        onFreshThread(() -> alone[1] = denoise(spec, wb, x, sigma));
        assertArrayEquals(alone[0], turns[0], "model A first");
        assertArrayEquals(alone[1], turns[1], "model B after A on the same thread");
        assertArrayEquals(alone[0], turns[2], "model A after B on the same thread");
    }

    private static double[] denoise(UNetConfig spec, float[] w, double[] x, double[] sigma) {
        UNetDenoiser d = new UNetDenoiser(spec, ParameterizationKind.EDM.defaults(), w);
        double[] out = new double[x.length];
        d.denoise(x, sigma, null, sigma.length, spec.imageSize(), out);
        return out;
    }

    private static void onFreshThread(Runnable body) throws InterruptedException {
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.start();
        t.join();
        if (failure[0] != null) {
            throw new AssertionError("on a fresh thread", failure[0]);
        }
    }

    @Test
    void wrongWeightCountIsRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new UNetDenoiser(TinyNets.tiny(0), ParameterizationKind.EDM.defaults(), new float[3]));
        assertEquals(true, e.getMessage().contains("parameters"), e.getMessage());
    }
}
