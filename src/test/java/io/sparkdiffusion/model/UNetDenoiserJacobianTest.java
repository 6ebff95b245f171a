package io.sparkdiffusion.model;

import io.sparkdiffusion.diffusion.ParameterizationKind;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.train.DiffusionObjective;
import io.sparkdiffusion.train.TinyNets;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The U-Net's exact v^T (dD/dx) v (one backward pass) against central differences of its forward pass. */
class UNetDenoiserJacobianTest {
    /**
     * Compared on the network's share of the form (the skip part cSkip |v|^2 is exact in both): central differences
     * of a float32 network with step 1e-2 have truncation O(h^2) and rounding about 1e-7 |D| / h per output;
     * measured agreement 4e-5 relative, the bound leaves a factor of 25.
     */
    static final double RELATIVE = 1e-3;
    static final double STEP = 1e-2;

    @Test
    void quadraticFormMatchesCentralDifferences() {
        UNetConfig spec = TinyNets.tiny(3);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.EDM.defaults(), 0);
        float[] w = new float[obj.numParameters()];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (0.2 * r.nextGaussian()); // every layer non-zero, so F depends on its input
        }
        UNetDenoiser d = new UNetDenoiser(spec, ParameterizationKind.EDM.defaults(), w);
        int dim = spec.imageSize();
        int n = 3;
        double[] x = new double[n * dim];
        double[] v = new double[n * dim];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
            v[i] = r.nextBoolean() ? 1 : -1;
        }
        double[] sigma = {0.2, 1.0, 5.0};
        int[] labels = {0, 2, -1};
        double[] exact = new double[n];
        d.jacobianQuadraticForm(x, sigma, labels, n, dim, v, exact);
        double[] plus = new double[n * dim];
        double[] minus = new double[n * dim];
        for (int i = 0; i < x.length; i++) {
            plus[i] = x[i] + STEP * v[i];
            minus[i] = x[i] - STEP * v[i];
        }
        double[] dp = new double[n * dim];
        double[] dm = new double[n * dim];
        d.denoise(plus, sigma, labels, n, dim, dp);
        d.denoise(minus, sigma, labels, n, dim, dm);
        for (int i = 0; i < n; i++) {
            double fd = 0;
            double cSkipPart = 0;
            for (int j = 0; j < dim; j++) {
                fd += v[i * dim + j] * (dp[i * dim + j] - dm[i * dim + j]) / (2 * STEP);
                cSkipPart += v[i * dim + j] * v[i * dim + j];
            }
            double cSkip = ParameterizationKind.EDM.defaults().precondition(sigma[i]).cSkip() * cSkipPart;
            double network = fd - cSkip;
            assertTrue(Math.abs(network) > 0.05, "row " + i + ": the network's share " + network + " is exercised");
            assertEquals(network, exact[i] - cSkip, RELATIVE * Math.abs(network), "row " + i);
        }
    }
}
