package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.EdmParameterization;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.TimeGrid;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OdeSchedule#EDM}: any parameterization's model sampled along {@code sigma(t) = t, s(t) = 1}. Expected values
 * come from Gaussian data {@code N(0, sd^2)}, whose exact denoiser is {@code D(x; sigma) = x sd^2 / (sd^2 + sigma^2)}
 * and whose probability-flow ODE carries {@code x} at {@code sigmaMax} to {@code x sqrt(sd^2 + sigma^2) / sqrt(sd^2 +
 * sigmaMax^2)} at {@code sigma} (the closed form), and from Euler steps written out by hand.
 */
class OdeScheduleTest {
    /** The same few double operations on both sides, in a different order. */
    private static final double HAND_TOL = 1e-12;
    /** 2,000 Heun steps against the closed form, relative (second order: they miss by up to 4e-6 here). */
    private static final double CONVERGED_TOL = 1e-5;
    private static final double SD = 0.5;

    private static final Denoiser GAUSSIAN = (x, sigma, labels, n, dim, out) -> {
        for (int i = 0; i < n * dim; i++) {
            double s = sigma[i / dim];
            out[i] = x[i] * SD * SD / (SD * SD + s * s);
        }
    };

    private static double sample(Parameterization p, SamplerSettings st, double noise) {
        return new Sampler(p, st).sample(GAUSSIAN, 1, 1, new double[] {noise}, new long[] {1}, null)[0];
    }

    /**
     * The exact ODE from {@code noise sigmaMax} at {@code sigmaMax} down to {@code sigmaMin}, then the samplers' last
     * step, Euler to 0, which along EDM's ODE lands on {@code D(x; sigmaMin)}.
     */
    private static double closedForm(double noise, double sigmaMax, double sigmaMin) {
        double atSigmaMin = noise * sigmaMax * Math.sqrt(SD * SD + sigmaMin * sigmaMin)
                / Math.sqrt(SD * SD + sigmaMax * sigmaMax);
        return atSigmaMin * SD * SD / (SD * SD + sigmaMin * sigmaMin);
    }

    @Test
    void oneEulerStepAlongEdmsOdeLandsOnTheDenoisedStart() {
        // sigma(t) = t: x_1 = x_0 + (0 - sigmaMax) (x_0 - D(x_0; sigmaMax)) / sigmaMax = D(x_0; sigmaMax).
        // VE's own sigma(t) = sqrt(t): the slope is (x - D) / (2 t), so x_1 = x_0 - (x_0 - D) / 2 = (x_0 + D) / 2.
        double noise = 0.7;
        for (String name : new String[] {"ve", "vp", "flow", "edm"}) {
            Parameterization p = Parameterization.parse(name);
            SamplerSettings st = SamplerSettings.defaults(SamplerKind.EULER, p).withNumSteps(1)
                    .withOdeSchedule(OdeSchedule.EDM);
            double x0 = noise * st.sigmaMax();
            double denoised = x0 * SD * SD / (SD * SD + st.sigmaMax() * st.sigmaMax());
            assertEquals(denoised, sample(p, st, noise), HAND_TOL * Math.abs(x0), name);
        }
        Parameterization ve = Parameterization.parse("ve");
        SamplerSettings own = SamplerSettings.defaults(SamplerKind.EULER, ve).withNumSteps(1);
        double x0 = noise * own.sigmaMax();
        double denoised = x0 * SD * SD / (SD * SD + own.sigmaMax() * own.sigmaMax());
        assertEquals((x0 + denoised) / 2, sample(ve, own, noise), HAND_TOL * Math.abs(x0), "ve, own ODE");
    }

    @Test
    void heunAlongEdmsOdeConvergesToTheClosedFormForEveryParameterization() {
        double noise = -1.3;
        for (String name : new String[] {"ve", "vp", "flow", "edm"}) {
            Parameterization p = Parameterization.parse(name);
            SamplerSettings st = SamplerSettings.defaults(SamplerKind.HEUN, p).withNumSteps(2000)
                    .withOdeSchedule(OdeSchedule.EDM);
            double[] t = new Sampler(p, st).timeSteps(); // along sigma(t) = t: the noise levels
            double expected = closedForm(noise, t[0], t[t.length - 2]);
            double got = sample(p, st, noise);
            assertEquals(expected, got, CONVERGED_TOL * Math.abs(expected), name);
        }
    }

    @Test
    void theGridKeepsItsNoiseLevelsAndTheOdeIsEdms() {
        // VP on EDM's grid along EDM's ODE is the EDM parameterization's sampler on the same levels.
        Parameterization vp = Parameterization.parse("vp");
        EdmParameterization edm = EdmParameterization.defaults();
        SamplerSettings vpSettings = SamplerSettings.defaults(SamplerKind.HEUN, vp).withTimeGrid(TimeGrid.EDM)
                .withSigmaRange(0.002, 80).withRho(7).withOdeSchedule(OdeSchedule.EDM);
        Sampler vpSampler = new Sampler(vp, vpSettings);
        Sampler edmSampler = new Sampler(edm, SamplerSettings.defaults(SamplerKind.HEUN, edm));
        assertArrayEquals(edmSampler.timeSteps(), vpSampler.timeSteps(), 1e-12 * 80);
        double noise = 0.9;
        assertEquals(sample(edm, SamplerSettings.defaults(SamplerKind.HEUN, edm), noise), sample(vp, vpSettings, noise),
                HAND_TOL * 80);
    }

    @Test
    void edmsOdeMissesLessThanVesOwnInEighteenHeunSteps() {
        // Karras et al. 2022, Sec. 3 and Fig. 3: sigma(t) = t makes the trajectories nearly straight.
        Parameterization ve = Parameterization.parse("ve");
        SamplerSettings own = SamplerSettings.defaults(SamplerKind.HEUN, ve).withTimeGrid(TimeGrid.EDM)
                .withSigmaRange(0.02, 80).withRho(7);
        SamplerSettings edm = own.withOdeSchedule(OdeSchedule.EDM);
        double noise = 1.1;
        // Each against the same ODE solved with 2,000 steps (both end with the same Euler step from sigmaMin).
        double errorOwn = Math.abs(sample(ve, own, noise) - sample(ve, own.withNumSteps(2000), noise));
        double errorEdm = Math.abs(sample(ve, edm, noise) - sample(ve, edm.withNumSteps(2000), noise));
        assertTrue(errorEdm < errorOwn / 5, "edm " + errorEdm + " against ve's own " + errorOwn);
    }

    @Test
    void onlyTheOdeSamplersTakeASchedule() {
        Parameterization vp = Parameterization.parse("vp");
        for (SamplerKind kind : new SamplerKind[] {SamplerKind.DDIM, SamplerKind.DDPM, SamplerKind.DPMPP_2M,
                SamplerKind.SDE, SamplerKind.PC}) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> SamplerSettings.defaults(kind, vp).withOdeSchedule(OdeSchedule.EDM));
            assertTrue(e.getMessage().startsWith("odeSchedule edm applies to the ODE samplers heun, euler and "
                    + "edm-stochastic; sampler " + kind.id()), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> OdeSchedule.parse("linear"));
        assertEquals("odeSchedule must be one of [default, edm], got 'linear'", e.getMessage());
    }
}
