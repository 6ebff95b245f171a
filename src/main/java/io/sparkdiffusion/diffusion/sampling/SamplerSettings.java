package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.TimeGrid;

import java.io.Serializable;

/**
 * Validated sampler settings; names follow Karras et al. 2022 and Song et al. 2021. Start from
 * {@link #defaults(SamplerKind, Parameterization)} and change fields with the {@code withX} methods. Serializable:
 * the Spark layer ships it to the executors as it is.
 *
 * @param kind              which sampler
 * @param numSteps          {@code N}, number of noise levels before 0, {@code >= 1}
 * @param timeGrid          the discretization ({@link TimeGrid#DEFAULT}: the parameterization's own)
 * @param sigmaMin          smallest positive noise level of the grid, {@code > 0}
 * @param sigmaMax          largest noise level (where sampling starts), {@code > sigmaMin}
 * @param rho               exponent of the EDM grid, {@code > 0}
 * @param sChurn            total stochasticity of Algorithm 2, {@code >= 0} (edm-stochastic only)
 * @param sMin              churn only where {@code sMin <= sigma <= sMax}, {@code sMin >= 0}
 * @param sMax              upper end of the churn range, {@code >= sMin} (may be infinite)
 * @param sNoise            scale of the churn noise, {@code > 0} (1.003 in the paper's ImageNet runs)
 * @param eta               DDIM stochasticity in [0, 1] (ddim only)
 * @param snr               Langevin corrector signal-to-noise ratio, {@code > 0} (pc only)
 * @param numCorrectorSteps Langevin steps per noise level, {@code >= 1} for pc (pc only; other samplers ignore it)
 * @param guidanceWeight    classifier-free guidance {@code w >= 0}; 1 = plain conditional, no extra calls
 * @param alpha             EDM's generalized 2nd-order step (ablation_sampler): heun and edm-stochastic evaluate
 *                          the second slope at {@code t + alpha h}, in {@code (0, 1]}; 1 is Heun's method
 * @param odeSchedule       the ODE that heun, euler and edm-stochastic integrate ({@link OdeSchedule#DEFAULT}: the
 *                          parameterization's own); the other samplers accept only {@link OdeSchedule#DEFAULT}
 */
public record SamplerSettings(SamplerKind kind, int numSteps, TimeGrid timeGrid, double sigmaMin, double sigmaMax,
                              double rho, double sChurn, double sMin, double sMax, double sNoise, double eta,
                              double snr, int numCorrectorSteps, double guidanceWeight, double alpha,
                              OdeSchedule odeSchedule)
        implements Serializable {

    public SamplerSettings {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if (numSteps < 1) {
            throw new IllegalArgumentException("numSteps must be >= 1, got " + numSteps);
        }
        if (timeGrid == null) {
            throw new IllegalArgumentException("timeGrid must not be null");
        }
        requirePositive("sigmaMin", sigmaMin);
        requirePositive("sigmaMax", sigmaMax);
        if (!(sigmaMin < sigmaMax)) {
            throw new IllegalArgumentException("sigmaMin must be < sigmaMax, got sigmaMin = " + sigmaMin
                    + ", sigmaMax = " + sigmaMax);
        }
        requirePositive("rho", rho);
        if (!(sChurn >= 0) || Double.isInfinite(sChurn)) {
            throw new IllegalArgumentException("sChurn must be finite and >= 0, got " + sChurn);
        }
        if (!(sMin >= 0) || Double.isInfinite(sMin)) {
            throw new IllegalArgumentException("sMin must be finite and >= 0, got " + sMin);
        }
        if (!(sMax >= sMin)) {
            throw new IllegalArgumentException("sMax must be >= sMin = " + sMin + ", got " + sMax);
        }
        requirePositive("sNoise", sNoise);
        if (!(eta >= 0 && eta <= 1)) {
            throw new IllegalArgumentException("eta must be in [0, 1], got " + eta);
        }
        requirePositive("snr", snr);
        if (numCorrectorSteps < (kind == SamplerKind.PC ? 1 : 0)) {
            throw new IllegalArgumentException("numCorrectorSteps must be >= " + (kind == SamplerKind.PC ? 1 : 0)
                    + " for sampler " + kind.id() + ", got " + numCorrectorSteps);
        }
        if (!(guidanceWeight >= 0) || Double.isInfinite(guidanceWeight)) {
            throw new IllegalArgumentException("guidanceWeight must be finite and >= 0, got " + guidanceWeight);
        }
        if (!(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
        }
        if (odeSchedule == null) {
            throw new IllegalArgumentException("odeSchedule must not be null");
        }
        if (odeSchedule != OdeSchedule.DEFAULT && !kind.integratesOde()) {
            throw new IllegalArgumentException("odeSchedule " + odeSchedule.id() + " applies to the ODE samplers heun, "
                    + "euler and edm-stochastic; sampler " + kind.id() + " follows its own parameterization's process: "
                    + "use odeSchedule default with it, or one of those samplers");
        }
    }

    private static void requirePositive(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be finite and > 0, got " + value);
        }
    }

    /**
     * Defaults for {@code kind} with {@code p}: its sigma range, {@code rho} and grid; {@code numSteps} 18 for
     * heun and flow-heun (EDM's CIFAR-10 setting), 50 for euler, ddim, flow-euler, dpmpp-2m 25, edm-stochastic 64
     * with {@code sChurn = 10}, ddpm 250, sde and pc 500 (pc: one corrector step, {@code snr = 0.16});
     * {@code sMin = 0, sMax = inf, sNoise = 1, eta = 0, guidanceWeight = 1, alpha = 1}, the parameterization's own ODE.
     */
    public static SamplerSettings defaults(SamplerKind kind, Parameterization p) {
        int numSteps = switch (kind) {
            case HEUN, FLOW_HEUN -> 18;
            case EULER, DDIM, FLOW_EULER -> 50;
            case DPMPP_2M -> 25;
            case EDM_STOCHASTIC -> 64;
            case DDPM -> 250;
            case SDE, PC -> 500;
        };
        double sChurn = kind == SamplerKind.EDM_STOCHASTIC ? 10.0 : 0.0;
        return new SamplerSettings(kind, numSteps, TimeGrid.DEFAULT, p.sigmaMin(), p.sigmaMax(), p.rho(), sChurn,
                0.0, Double.POSITIVE_INFINITY, 1.0, 0.0, 0.16, 1, 1.0, 1.0, OdeSchedule.DEFAULT);
    }

    public SamplerSettings withNumSteps(int numSteps) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    public SamplerSettings withTimeGrid(TimeGrid timeGrid) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    public SamplerSettings withSigmaRange(double sigmaMin, double sigmaMax) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    public SamplerSettings withRho(double rho) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    public SamplerSettings withChurn(double sChurn, double sMin, double sMax, double sNoise) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    public SamplerSettings withEta(double eta) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    public SamplerSettings withCorrector(double snr, int numCorrectorSteps) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    public SamplerSettings withGuidanceWeight(double guidanceWeight) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    public SamplerSettings withAlpha(double alpha) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    public SamplerSettings withOdeSchedule(OdeSchedule odeSchedule) {
        return new SamplerSettings(kind, numSteps, timeGrid, sigmaMin, sigmaMax, rho, sChurn, sMin, sMax, sNoise, eta,
                snr, numCorrectorSteps, guidanceWeight, alpha, odeSchedule);
    }

    /** The sampler, its steps and a non-default ODE schedule, as progress lines print them: {@code heun, 18 steps}. */
    public String describe() {
        return kind.id() + ", " + numSteps + " steps"
                + (odeSchedule == OdeSchedule.DEFAULT ? "" : ", odeSchedule " + odeSchedule.id());
    }

    /** Denoiser evaluations per batch ({@link SamplerKind#evaluations}). */
    public int evaluations() {
        return kind.evaluations(numSteps, numCorrectorSteps);
    }
}
