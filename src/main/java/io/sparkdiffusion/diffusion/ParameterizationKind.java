package io.sparkdiffusion.diffusion;

/** The parameterization families, with the names used by the Spark layer and the CLI. */
public enum ParameterizationKind {
    /** Flow Matching / rectified flow, {@link FlowParameterization}. */
    FLOW("flow"),
    /** Variance exploding (SMLD / NCSN), {@link VeParameterization}. */
    VE("ve"),
    /** Variance preserving (DDPM / DDIM), {@link VpParameterization}. */
    VP("vp"),
    /** Karras et al. 2022, {@link EdmParameterization}. */
    EDM("edm");

    private final String id;

    ParameterizationKind(String id) {
        this.id = id;
    }

    /** The name used at the edges (Spark Params, CLI, config). */
    public String id() {
        return id;
    }

    /** The parameterization of this kind with the settings of its paper. */
    public Parameterization defaults() {
        return switch (this) {
            case FLOW -> FlowParameterization.defaults();
            case VE -> VeParameterization.defaults();
            case VP -> VpParameterization.defaults();
            case EDM -> EdmParameterization.defaults();
        };
    }

    /**
     * Parses a name such as {@code "edm"} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static ParameterizationKind parse(String name) {
        return SettingIds.parse("parameterization", values(), ParameterizationKind::id, name);
    }

    static String allowed() {
        return SettingIds.allowed(values(), ParameterizationKind::id);
    }
}
