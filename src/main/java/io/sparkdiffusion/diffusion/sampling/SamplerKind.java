package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.SettingIds;

/**
 * The samplers, with their names at the edges and the number of denoiser evaluations per batch for {@code N =
 * numSteps} (with classifier-free guidance each evaluation is two network calls).
 */
public enum SamplerKind {
    /**
     * Deterministic 2nd-order Heun ODE solver in the {@link OdeSchedule}'s {@code t} and {@code s(t)}
     * (NVlabs/edm {@code ablation_sampler}, solver heun, with its {@code alpha}); with EDM this is Algorithm 1.
     * {@code 2N - 1} evaluations (the last step, to {@code sigma = 0}, is Euler).
     */
    HEUN("heun"),
    /** 1st-order Euler ODE solver in the {@link OdeSchedule}'s {@code t} and {@code s(t)}. {@code N} evaluations. */
    EULER("euler"),
    /**
     * Stochastic Heun with churn ({@code sChurn, sMin, sMax, sNoise}): Algorithm 2 with EDM, its generalization in
     * {@code ablation_sampler} otherwise. Ends with the last level's churn, then one Euler step to {@code sigma = 0}
     * with no noise after it. {@code 2N - 1} evaluations.
     */
    EDM_STOCHASTIC("edm-stochastic"),
    /** DDIM (Song et al. 2021) with {@code eta} ({@code eta = 0}: deterministic). {@code N} evaluations. */
    DDIM("ddim"),
    /** DDPM ancestral sampling (DDIM with {@code eta = 1}; the setting {@code eta} is not used). {@code N} evaluations. */
    DDPM("ddpm"),
    /** DPM-Solver++(2M) (Lu et al. 2022), multistep 2nd order in {@code lambda = -ln sigma}. {@code N} evaluations. */
    DPMPP_2M("dpmpp-2m"),
    /**
     * Euler-Maruyama on the reverse-time SDE (Song et al. 2021, Eq. 6). Ends with a Tweedie denoising step at the
     * last level, {@code x <- D(x; sigma_{N-1})}, with no noise after it. {@code N} evaluations.
     */
    SDE("sde"),
    /**
     * Predictor-corrector (Song et al. 2021, Algorithm 1-3): {@code numCorrectorSteps} Langevin steps with signal-to-
     * noise ratio {@code snr} at each level, then the {@link #SDE} predictor; ends like {@link #SDE}: the last
     * level's Langevin steps, then the Tweedie step {@code x <- D(x; sigma_{N-1})}, no noise after it.
     * {@code N (1 + numCorrectorSteps)} evaluations.
     */
    PC("pc"),
    /** Euler in {@code t} on the flow velocity {@code v = (x_t - D) / t}; flow parameterization only. {@code N}. */
    FLOW_EULER("flow-euler"),
    /** Heun in {@code t} on the flow velocity, last step Euler; flow parameterization only. {@code 2N - 1}. */
    FLOW_HEUN("flow-heun");

    private final String id;

    SamplerKind(String id) {
        this.id = id;
    }

    /** The name used at the edges (Spark Params, CLI, config). */
    public String id() {
        return id;
    }

    /** Whether this sampler integrates the probability-flow ODE of {@code sigma(t), s(t)} ({@link OdeSchedule}). */
    public boolean integratesOde() {
        return this == HEUN || this == EULER || this == EDM_STOCHASTIC;
    }

    /** Denoiser evaluations for one batch with these settings (see each constant). */
    public int evaluations(int numSteps, int numCorrectorSteps) {
        return switch (this) {
            case HEUN, EDM_STOCHASTIC, FLOW_HEUN -> 2 * numSteps - 1;
            case EULER, DDIM, DDPM, DPMPP_2M, SDE, FLOW_EULER -> numSteps;
            case PC -> numSteps * (1 + numCorrectorSteps);
        };
    }

    /**
     * Parses a name such as {@code "heun"} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static SamplerKind parse(String name) {
        return SettingIds.parse("sampler", values(), SamplerKind::id, name);
    }
}
