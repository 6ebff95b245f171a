package io.sparkdiffusion.diffusion;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The VP grid against NVlabs/edm's {@code ablation_sampler} (generate.py), restated here in its own symbols. */
public class TimeGridTest {
    /** Relative tolerance: both sides are a handful of exp/log/sqrt in double. */
    static final double REL_TOL = 1e-9;

    /**
     * ablation_sampler with {@code discretization='vp'}, {@code epsilon_s} given and {@code sigma_min}, {@code sigma_max}
     * at their vp defaults ({@code vp_sigma(19.9, 0.1)} at {@code epsilon_s} and at 1):
     * <pre>
     *   vp_sigma = lambda beta_d, beta_min: lambda t: (np.e ** (0.5 * beta_d * (t ** 2) + beta_min * t) - 1) ** 0.5
     *   vp_beta_d = 2 * (np.log(sigma_min ** 2 + 1) / epsilon_s - np.log(sigma_max ** 2 + 1)) / (epsilon_s - 1)
     *   vp_beta_min = np.log(sigma_max ** 2 + 1) - 0.5 * vp_beta_d
     *   orig_t_steps = 1 + step_indices / (num_steps - 1) * (epsilon_s - 1)
     *   sigma_steps = vp_sigma(vp_beta_d, vp_beta_min)(orig_t_steps)
     * </pre>
     */
    static double[] edmVpSigmaSteps(double epsilonS, int numSteps) {
        double sigmaMin = vpSigma(19.9, 0.1, epsilonS);
        double sigmaMax = vpSigma(19.9, 0.1, 1.0);
        double betaD = 2 * (Math.log(sigmaMin * sigmaMin + 1) / epsilonS - Math.log(sigmaMax * sigmaMax + 1))
                / (epsilonS - 1);
        double betaMin = Math.log(sigmaMax * sigmaMax + 1) - 0.5 * betaD;
        double[] sigma = new double[numSteps];
        for (int i = 0; i < numSteps; i++) {
            double t = 1 + (double) i / (numSteps - 1) * (epsilonS - 1);
            sigma[i] = vpSigma(betaD, betaMin, t);
        }
        return sigma;
    }

    private static double vpSigma(double betaD, double betaMin, double t) {
        return Math.sqrt(Math.pow(Math.E, 0.5 * betaD * t * t + betaMin * t) - 1);
    }

    /** The interior levels (the ends are the parameterization's range) of the VP grid of {@code p}. */
    public static void assertVpInteriorLevels(VpParameterization p, int numSteps) {
        double[] expected = edmVpSigmaSteps(p.epsilonS(), numSteps);
        double[] t = p.timeSteps(numSteps);
        for (int i = 1; i < numSteps - 1; i++) {
            assertEquals(expected[i], p.sigma(t[i]), REL_TOL * expected[i], "level " + i);
        }
    }

    @Test
    void theVpGridUsesTheParameterizationsEpsilonS() {
        assertVpInteriorLevels(new VpParameterization(19.9, 0.1, 1e-5, 1e-2, 1000), 18);
        assertVpInteriorLevels(new VpParameterization(19.9, 0.1, 1e-5, 1e-3, 1000), 18);
        assertVpInteriorLevels(new VpParameterization(19.9, 0.1, 1e-5, 0.05, 1000), 7);
    }
}
