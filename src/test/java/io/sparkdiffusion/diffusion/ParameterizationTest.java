package io.sparkdiffusion.diffusion;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Table 1 of Karras et al. 2022 at sigma = 0.1, 1, 10: the expected numbers were computed by hand (python one-liners
 * from the paper's formulas, given in the comments), not by the code under test.
 */
class ParameterizationTest {

    private static final double HAND_TOL = 1e-9;
    /** Central finite differences with step 1e-6 are accurate to ~1e-8 relative here. */
    private static final double DERIV_TOL = 1e-6;
    /** Empirical CDF at one point from 200,000 draws: sd <= 0.0011. */
    private static final double CDF_TOL = 0.005;

    private static final double[] SIGMAS = {0.1, 1.0, 10.0};

    private static void assertPrecond(Parameterization p, double sigma, double cSkip, double cOut, double cIn,
                                      double cNoise, double lambda) {
        Preconditioning c = p.precondition(sigma);
        String at = p.kind().id() + " at sigma = " + sigma;
        assertEquals(cSkip, c.cSkip(), HAND_TOL, "cSkip, " + at);
        assertEquals(cOut, c.cOut(), HAND_TOL, "cOut, " + at);
        assertEquals(cIn, c.cIn(), HAND_TOL, "cIn, " + at);
        assertEquals(cNoise, c.cNoise(), HAND_TOL, "cNoise, " + at);
        assertEquals(lambda, p.lossWeight(sigma), HAND_TOL * lambda, "lambda, " + at);
    }

    @Test
    void edmMatchesTable1() {
        // sd = 0.5: cSkip = sd^2/(s^2+sd^2), cOut = s sd/sqrt(s^2+sd^2), cIn = 1/sqrt(s^2+sd^2), cNoise = ln(s)/4,
        // lambda = (s^2+sd^2)/(s sd)^2
        Parameterization p = EdmParameterization.defaults();
        assertPrecond(p, 0.1, 0.9615384615384615, 0.09805806756909201, 1.9611613513818402, -0.5756462732485114, 104.0);
        assertPrecond(p, 1.0, 0.2, 0.4472135954999579, 0.8944271909999159, 0.0, 5.0);
        assertPrecond(p, 10.0, 0.0024937655860349127, 0.49937616943892227, 0.09987523388778446, 0.5756462732485115,
                4.01);
    }

    @Test
    void vpMatchesTable1() {
        // cSkip = 1, cOut = -s, cIn = 1/sqrt(s^2+1), cNoise = 999 * (sqrt(0.1^2 + 2*19.9*ln(1+s^2)) - 0.1)/19.9,
        // lambda = 1/s^2
        Parameterization p = VpParameterization.defaults();
        assertPrecond(p, 0.1, 1.0, -0.1, 0.9950371902099893, 26.96795342641709, 100.0);
        assertPrecond(p, 1.0, 1.0, -1.0, 0.7071067811865475, 258.7013021703638, 1.0);
        assertPrecond(p, 10.0, 1.0, -10.0, 0.09950371902099892, 675.3689136265791, 0.01);
    }

    @Test
    void veMatchesTable1() {
        // cSkip = 1, cOut = s, cIn = 1, cNoise = ln(s/2), lambda = 1/s^2
        Parameterization p = VeParameterization.defaults();
        assertPrecond(p, 0.1, 1.0, 0.1, 1.0, -2.995732273553991, 100.0);
        assertPrecond(p, 1.0, 1.0, 1.0, 1.0, -0.6931471805599453, 1.0);
        assertPrecond(p, 10.0, 1.0, 10.0, 1.0, 1.6094379124341003, 0.01);
    }

    @Test
    void flowMatchesItsDerivation() {
        // cSkip = 1/(1+s), cOut = -s/(1+s), cIn = 1/(1+s), cNoise = 1000 s/(1+s) = 1000 t, lambda = ((1+s)/s)^2
        Parameterization p = FlowParameterization.defaults();
        assertPrecond(p, 0.1, 0.9090909090909091, -0.09090909090909091, 0.9090909090909091, 90.9090909090909, 121.0);
        assertPrecond(p, 1.0, 0.5, -0.5, 0.5, 500.0, 4.0);
        assertPrecond(p, 10.0, 0.09090909090909091, -0.9090909090909091, 0.09090909090909091, 909.0909090909091, 1.21);
    }

    @Test
    void schedulesMatchHandValues() {
        VpParameterization vp = VpParameterization.defaults();
        // sigma(t) = sqrt(exp(19.9 t^2/2 + 0.1 t) - 1), s = 1/sqrt(1 + sigma^2)
        assertEquals(3.41291830906912, vp.sigma(0.5), HAND_TOL);
        assertEquals(0.2811828807967524, vp.s(0.5), HAND_TOL);
        assertEquals(152.1669702839464, vp.sigmaMax(), 1e-9 * 152);
        assertEquals(0.010485992786706403, vp.sigmaMin(), HAND_TOL);
        FlowParameterization flow = FlowParameterization.defaults();
        // sigma(0.3) = 0.3/0.7, s(0.3) = 0.7
        assertEquals(0.4285714285714286, flow.sigma(0.3), HAND_TOL);
        assertEquals(0.7, flow.s(0.3), HAND_TOL);
        assertEquals(2.0, VeParameterization.defaults().sigma(4.0), HAND_TOL);
        assertEquals(1.7, EdmParameterization.defaults().sigma(1.7), HAND_TOL);
    }

    @ParameterizedTest
    @EnumSource(ParameterizationKind.class)
    void derivativesMatchFiniteDifferencesAndInverseRoundTrips(ParameterizationKind kind) {
        Parameterization p = kind.defaults();
        for (double sigma : SIGMAS) {
            double t = p.sigmaInv(sigma);
            assertEquals(sigma, p.sigma(t), 1e-12 * sigma, kind.id() + ": sigma(sigmaInv(" + sigma + "))");
            double h = 1e-6 * Math.max(t, 1e-3);
            double fdSigma = (p.sigma(t + h) - p.sigma(t - h)) / (2 * h);
            double fdS = (p.s(t + h) - p.s(t - h)) / (2 * h);
            assertEquals(fdSigma, p.sigmaDeriv(t), DERIV_TOL * Math.abs(fdSigma), kind.id() + ": sigma'(" + t + ")");
            assertEquals(fdS, p.sDeriv(t), DERIV_TOL * Math.max(Math.abs(fdS), 1e-3), kind.id() + ": s'(" + t + ")");
        }
        assertEquals(0.0, p.sigma(0.0), 0.0, kind.id() + ": sigma(0)");
        assertEquals(1.0, p.s(0.0), 0.0, kind.id() + ": s(0)");
    }

    @ParameterizedTest
    @EnumSource(ParameterizationKind.class)
    void lossWeightTimesCOutSquaredIsOne(ParameterizationKind kind) {
        Parameterization p = kind.defaults();
        for (double sigma : new double[]{0.003, 0.1, 1.0, 10.0, 150.0}) {
            double cOut = p.precondition(sigma).cOut();
            assertEquals(1.0, p.lossWeight(sigma) * cOut * cOut, 1e-12, kind.id() + " at sigma = " + sigma);
        }
    }

    @Test
    void trainingDistributionsMatchTable1() {
        // EDM: ln s ~ N(-1.2, 1.2^2): P(s < 1) = Phi(1) = 0.8413447460685429; median exp(-1.2) = 0.301194...
        assertEquals(0.8413447460685429, cdf(EdmParameterization.defaults(), 1.0), CDF_TOL);
        assertEquals(0.5, cdf(EdmParameterization.defaults(), 0.30119421191220214), CDF_TOL);
        // VE: ln s ~ U(ln 0.02, ln 100): P(s < 1) = ln(50)/ln(5000) = 0.4593089433935518
        assertEquals(0.4593089433935518, cdf(VeParameterization.defaults(), 1.0), CDF_TOL);
        // VP: t ~ U(1e-5, 1), sigmaInv(1) = 0.25896026243279663: P = (0.25896026 - 1e-5)/(1 - 1e-5) = 0.258952852
        assertEquals(0.25895285196131623, cdf(VpParameterization.defaults(), 1.0), CDF_TOL);
        // Flow uniform: P(s < 1) = P(t < 1/2) = 0.5; logit-normal(0, 1): P(s < 3) = P(t < 3/4) = Phi(ln 3) = 0.86403
        assertEquals(0.5, cdf(FlowParameterization.defaults(), 1.0), CDF_TOL);
        assertEquals(0.75, cdf(FlowParameterization.defaults(), 3.0), CDF_TOL);
        assertEquals(0.8640313923585756, cdf(FlowParameterization.logitNormal(), 3.0), CDF_TOL);
    }

    @Test
    void logNormalTrainingOfVpAndVeIsEdms() {
        // ln s ~ N(-1.2, 1.2^2): P(s < 1) = Phi(1) = 0.8413447460685429, P(s < exp(-2.4)) = Phi(-1) = 0.15865525393145707
        Parameterization vp = new VpParameterization(19.9, 0.1, 1e-5, 1e-3, 1000, TrainingSigma.LOG_NORMAL, -1.2, 1.2,
                LossWeighting.PAPER, 0.5, PreconditioningKind.PAPER);
        Parameterization ve = new VeParameterization(0.02, 100, TrainingSigma.LOG_NORMAL, -1.2, 1.2,
                LossWeighting.PAPER, 0.5, PreconditioningKind.PAPER);
        for (Parameterization p : new Parameterization[] {vp, ve}) {
            assertEquals(0.8413447460685429, cdf(p, 1.0), CDF_TOL, p.kind().id());
            assertEquals(0.15865525393145707, cdf(p, 0.09071795328941251), CDF_TOL, p.kind().id());
        }
        // ln s ~ N(0, 0.5^2): P(s < exp(0.5)) = Phi(1)
        Parameterization narrow = new VpParameterization(19.9, 0.1, 1e-5, 1e-3, 1000, TrainingSigma.LOG_NORMAL, 0.0,
                0.5, LossWeighting.PAPER, 0.5, PreconditioningKind.PAPER);
        assertEquals(0.8413447460685429, cdf(narrow, 1.6487212707001282), CDF_TOL);
    }

    @Test
    void edmLossWeightOnVpAndVeMatchesTable1() {
        // lambda = (s^2 + 0.25) / (0.25 s^2): 104, 5, 4.01 at s = 0.1, 1, 10 (as EDM's own, edmMatchesTable1);
        // the raw network's weight lambda cOut^2 = lambda s^2 = (s^2 + 0.25) / 0.25: 1.04, 5, 401
        Parameterization vp = new VpParameterization(19.9, 0.1, 1e-5, 1e-3, 1000, TrainingSigma.LOG_NORMAL, -1.2, 1.2,
                LossWeighting.EDM, 0.5, PreconditioningKind.PAPER);
        Parameterization ve = new VeParameterization(0.02, 100, TrainingSigma.LOG_NORMAL, -1.2, 1.2,
                LossWeighting.EDM, 0.5, PreconditioningKind.PAPER);
        double[] lambda = {104.0, 5.0, 4.01};
        double[] network = {1.04, 5.0, 401.0};
        for (Parameterization p : new Parameterization[] {vp, ve}) {
            for (int i = 0; i < SIGMAS.length; i++) {
                assertEquals(lambda[i], p.lossWeight(SIGMAS[i]), HAND_TOL * lambda[i], p.kind().id());
                assertEquals(network[i], p.networkLossWeight(SIGMAS[i]), HAND_TOL * network[i], p.kind().id());
            }
        }
        // the paper's weighting keeps the plain MSE exactly
        for (ParameterizationKind kind : ParameterizationKind.values()) {
            assertEquals(1.0, kind.defaults().networkLossWeight(3.7), 0.0, kind.id());
        }
    }

    @Test
    void edmPreconditioningOnVpAndVeKeepsTheirCNoise() {
        // EDM's cSkip, cOut, cIn at sd = 0.5 (edmMatchesTable1's hand values); cNoise VP's 999 t and VE's ln(s/2);
        // lambda EDM's; the raw network's weight lambda cOut^2 is then 1 at every sigma
        Parameterization vp = new VpParameterization(19.9, 0.1, 1e-5, 1e-3, 1000, TrainingSigma.LOG_NORMAL, -1.2, 1.2,
                LossWeighting.EDM, 0.5, PreconditioningKind.EDM);
        Parameterization ve = new VeParameterization(0.02, 100, TrainingSigma.LOG_NORMAL, -1.2, 1.2,
                LossWeighting.EDM, 0.5, PreconditioningKind.EDM);
        assertPrecond(vp, 0.1, 0.9615384615384615, 0.09805806756909201, 1.9611613513818402, 26.96795342641709, 104.0);
        assertPrecond(vp, 1.0, 0.2, 0.4472135954999579, 0.8944271909999159, 258.7013021703638, 5.0);
        assertPrecond(vp, 10.0, 0.0024937655860349127, 0.49937616943892227, 0.09987523388778446, 675.3689136265791,
                4.01);
        assertPrecond(ve, 1.0, 0.2, 0.4472135954999579, 0.8944271909999159, -0.6931471805599453, 5.0);
        assertPrecond(ve, 10.0, 0.0024937655860349127, 0.49937616943892227, 0.09987523388778446, 1.6094379124341003,
                4.01);
        for (double sigma : new double[] {0.003, 0.1, 1.0, 10.0, 150.0}) {
            assertEquals(1.0, vp.networkLossWeight(sigma), 1e-12, "vp at sigma = " + sigma);
            assertEquals(1.0, ve.networkLossWeight(sigma), 1e-12, "ve at sigma = " + sigma);
        }
    }

    private static double cdf(Parameterization p, double sigma) {
        SplittableRandom rng = new SplittableRandom(42);
        int draws = 200_000;
        int below = 0;
        for (int i = 0; i < draws; i++) {
            double s = p.sampleTrainingSigma(rng);
            assertTrue(s > 0 && Double.isFinite(s), "training sigma must be finite and > 0, got " + s);
            if (s < sigma) {
                below++;
            }
        }
        return (double) below / draws;
    }

    @Test
    void timeGridsMatchHandValues() {
        // EDM, N = 3: 80, ((80^(1/7) + 0.002^(1/7))/2)^7 = 2.515218976147159, 0.002, then 0
        double[] edm = EdmParameterization.defaults().timeSteps(3);
        assertEquals(4, edm.length);
        assertEquals(80.0, edm[0], 1e-12);
        assertEquals(2.515218976147159, edm[1], 1e-12);
        assertEquals(0.002, edm[2], 1e-15);
        assertEquals(0.0, edm[3], 0.0);
        // VE, N = 3: sigma = 100, sqrt(100 * 0.02), 0.02, so t = sigma^2 = 10000, 2, 0.0004, then 0
        double[] ve = VeParameterization.defaults().timeSteps(3);
        assertEquals(10000.0, ve[0], 1e-8);
        assertEquals(2.0, ve[1], 1e-12);
        assertEquals(0.0004, ve[2], 1e-15);
        assertEquals(0.0, ve[3], 0.0);
        // VP, N = 3: t linear from 1 to epsilonS = 1e-3: 1, 0.5005, 0.001, then 0
        double[] vp = VpParameterization.defaults().timeSteps(3);
        assertEquals(1.0, vp[0], 1e-9);
        assertEquals(0.5005, vp[1], 1e-9);
        assertEquals(0.001, vp[2], 1e-9);
        assertEquals(0.0, vp[3], 0.0);
        // Flow, N = 4: uniform from tMax = 0.999: 0.999, 0.74925, 0.4995, 0.24975, 0
        double[] flow = FlowParameterization.defaults().timeSteps(4);
        assertEquals(0.999, flow[0], 1e-12);
        assertEquals(0.74925, flow[1], 1e-12);
        assertEquals(0.4995, flow[2], 1e-12);
        assertEquals(0.24975, flow[3], 1e-12);
        assertEquals(0.0, flow[4], 0.0);
    }

    @Test
    void parseAcceptsNamesAndListsAllowedValues() {
        assertSame(ParameterizationKind.FLOW, ParameterizationKind.parse("flow"));
        assertSame(ParameterizationKind.VE, ParameterizationKind.parse(" VE "));
        assertEquals(VpParameterization.defaults(), Parameterization.parse("vp"));
        assertEquals(EdmParameterization.defaults(), Parameterization.parse("edm"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParameterizationKind.parse("ddpm"));
        assertEquals("parameterization must be one of [flow, ve, vp, edm], got 'ddpm'", e.getMessage());
        assertSame(TimeGrid.UNIFORM, TimeGrid.parse("uniform"));
        assertSame(TimeGrid.IDDPM, TimeGrid.parse("iddpm"));
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.parse("linear"));
        assertSame(TrainingSigma.LOG_NORMAL, TrainingSigma.parse(" Log-Normal"));
        e = assertThrows(IllegalArgumentException.class, () -> TrainingSigma.parse("uniform"));
        assertEquals("trainingSigma must be one of [paper, log-normal], got 'uniform'", e.getMessage());
        assertSame(LossWeighting.EDM, LossWeighting.parse("edm"));
        e = assertThrows(IllegalArgumentException.class, () -> LossWeighting.parse("snr"));
        assertEquals("lossWeighting must be one of [paper, edm], got 'snr'", e.getMessage());
        assertSame(PreconditioningKind.EDM, PreconditioningKind.parse("EDM"));
        e = assertThrows(IllegalArgumentException.class, () -> PreconditioningKind.parse("vp"));
        assertEquals("preconditioning must be one of [paper, edm], got 'vp'", e.getMessage());
    }

    @Test
    void badSettingsNameTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EdmParameterization(0.5, -1.2, 1.2, 80, 0.002, 7));
        assertTrue(e.getMessage().startsWith("sigmaMin must be < sigmaMax"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new VeParameterization(-1, 100));
        assertEquals("sigmaMin must be finite and > 0, got -1.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new VpParameterization(19.9, 0.1, 1e-5, 1e-3, 0));
        assertEquals("m must be >= 1, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new VeParameterization(0.02, 100,
                TrainingSigma.LOG_NORMAL, -1.2, 0, LossWeighting.EDM, 0.5, PreconditioningKind.PAPER));
        assertEquals("pStd must be finite and > 0, got 0.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new VpParameterization(19.9, 0.1, 1e-5, 1e-3, 1000,
                TrainingSigma.PAPER, -1.2, 1.2, null, 0.5, PreconditioningKind.PAPER));
        assertEquals("lossWeighting must be PAPER or EDM, got null", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EdmParameterization.defaults().timeSteps(0));
        assertEquals("numSteps must be >= 1, got 0", e.getMessage());
    }
}
