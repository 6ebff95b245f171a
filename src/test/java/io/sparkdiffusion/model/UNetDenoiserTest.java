package io.sparkdiffusion.model;

import io.sparkdiffusion.diffusion.ParameterizationKind;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.train.DiffusionObjective;
import io.sparkdiffusion.train.TinyNets;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

    @Test
    void wrongWeightCountIsRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new UNetDenoiser(TinyNets.tiny(0), ParameterizationKind.EDM.defaults(), new float[3]));
        assertEquals(true, e.getMessage().contains("parameters"), e.getMessage());
    }
}
