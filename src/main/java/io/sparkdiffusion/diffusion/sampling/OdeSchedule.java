package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.SettingIds;

/**
 * Which probability-flow ODE the ODE samplers ({@link SamplerKind#HEUN}, {@link SamplerKind#EULER},
 * {@link SamplerKind#EDM_STOCHASTIC}) integrate: the rows "Schedule sigma(t)" and "Scaling s(t)" of Karras et al.
 * 2022, Table 1 ({@code schedule} and {@code scaling} of NVlabs/edm's {@code ablation_sampler}). A model's denoiser
 * {@code D(x; sigma)} does not depend on them, so any model can be sampled along either ODE (Sec. 3: "the sampling
 * process can be designed independently of the training").
 */
public enum OdeSchedule {
    /** The parameterization's own {@code sigma(t)} and {@code s(t)}, e.g. VE's {@code sigma(t) = sqrt(t), s(t) = 1}. */
    DEFAULT("default"),
    /**
     * {@code sigma(t) = t, s(t) = 1} (EDM's choice, Table 1 "Ours"; {@code ablation_sampler}'s {@code schedule='linear',
     * scaling='none'}): the ODE's solution trajectories are nearly straight, so an 18-step Heun solver misses least
     * (Sec. 3, Fig. 2 and 3). The grid's noise levels are the same as with {@link #DEFAULT}.
     */
    EDM("edm");

    private final String id;

    OdeSchedule(String id) {
        this.id = id;
    }

    /** The name used at the edges (Spark Params, CLI, config). */
    public String id() {
        return id;
    }

    /**
     * Parses a name such as {@code "edm"} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static OdeSchedule parse(String name) {
        return SettingIds.parse("odeSchedule", values(), OdeSchedule::id, name);
    }
}
