package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.EdmParameterization;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.VeParameterization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SamplerSettingsTest {

    private static final Parameterization EDM = EdmParameterization.defaults();
    private static final SamplerSettings HEUN = SamplerSettings.defaults(SamplerKind.HEUN, EDM);

    private static void assertMessage(String expected, Executable ex) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, ex).getMessage());
    }

    @Test
    void parseAcceptsEveryNameAndListsThemOnError() {
        String[] names = {"heun", "euler", "edm-stochastic", "ddim", "ddpm", "dpmpp-2m", "sde", "pc", "flow-euler",
                "flow-heun"};
        for (int i = 0; i < names.length; i++) {
            assertSame(SamplerKind.values()[i], SamplerKind.parse(names[i]));
        }
        assertSame(SamplerKind.DPMPP_2M, SamplerKind.parse("DPMPP-2M"));
        assertMessage("sampler must be one of [heun, euler, edm-stochastic, ddim, ddpm, dpmpp-2m, sde, pc, flow-euler, "
                + "flow-heun], got 'lms'", () -> SamplerKind.parse("lms"));
    }

    @Test
    void defaultsFollowTheParameterization() {
        assertEquals(18, HEUN.numSteps());
        assertEquals(0.002, HEUN.sigmaMin());
        assertEquals(80.0, HEUN.sigmaMax());
        assertEquals(7.0, HEUN.rho());
        SamplerSettings ve = SamplerSettings.defaults(SamplerKind.EULER, VeParameterization.defaults());
        assertEquals(0.02, ve.sigmaMin());
        assertEquals(100.0, ve.sigmaMax());
    }

    @Test
    void invalidSettingsNameTheSetting() {
        assertMessage("numSteps must be >= 1, got 0", () -> HEUN.withNumSteps(0));
        assertMessage("sigmaMin must be < sigmaMax, got sigmaMin = 5.0, sigmaMax = 1.0",
                () -> HEUN.withSigmaRange(5, 1));
        assertMessage("rho must be finite and > 0, got 0.0", () -> HEUN.withRho(0));
        assertMessage("sChurn must be finite and >= 0, got -1.0", () -> HEUN.withChurn(-1, 0, 1, 1));
        assertMessage("sMax must be >= sMin = 2.0, got 1.0", () -> HEUN.withChurn(1, 2, 1, 1));
        assertMessage("eta must be in [0, 1], got 1.5", () -> HEUN.withEta(1.5));
        assertMessage("snr must be finite and > 0, got 0.0", () -> HEUN.withCorrector(0, 1));
        assertMessage("numCorrectorSteps must be >= 1 for sampler pc, got 0",
                () -> SamplerSettings.defaults(SamplerKind.PC, EDM).withCorrector(0.16, 0));
        assertMessage("guidanceWeight must be finite and >= 0, got NaN", () -> HEUN.withGuidanceWeight(Double.NaN));
        assertMessage("sampler flow-heun requires parameterization flow, got edm",
                () -> new Sampler(EDM, SamplerSettings.defaults(SamplerKind.FLOW_HEUN, EDM)));
    }

    @Test
    void sampleArgumentsAreChecked() {
        Sampler sampler = new Sampler(EDM, HEUN);
        assertMessage("seeds must have length n = 2, got 1",
                () -> sampler.sample((x, s, l, n, d, o) -> { }, 2, 3, new long[1], null));
        assertMessage("noise must have length n * dim = 6, got 5",
                () -> sampler.sample((x, s, l, n, d, o) -> { }, 2, 3, new double[5], new long[2], null));
        assertMessage("labels must be null or have length n = 2, got 3",
                () -> sampler.sample((x, s, l, n, d, o) -> { }, 2, 3, new long[2], new int[3]));
        assertMessage("dim must be >= 1, got 0", () -> sampler.sample((x, s, l, n, d, o) -> { }, 2, 0, new long[2], null));
    }

    @Test
    void edmHeunVisitsTheEdmGrid() {
        // Algorithm 1 with N = 3: sigma = 80, ((80^(1/7) + 0.002^(1/7))/2)^7 = 2.515218976147159, 0.002, 0.
        double[] t = new Sampler(EDM, HEUN.withNumSteps(3)).timeSteps();
        assertEquals(80.0, t[0], 1e-12);
        assertEquals(2.515218976147159, t[1], 1e-12);
        assertEquals(0.002, t[2], 1e-15);
        assertEquals(0.0, t[3]);
    }
}
