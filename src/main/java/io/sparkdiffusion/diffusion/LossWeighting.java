package io.sparkdiffusion.diffusion;

/**
 * The loss weight {@code lambda(sigma)} of Eq. 8 for {@link VpParameterization} and {@link VeParameterization}: their
 * paper's {@code 1 / sigma^2} (the epsilon loss: {@code lambda cOut^2 = 1}, the raw network's plain squared error), or
 * EDM's {@code (sigma^2 + sigmaData^2) / (sigma sigmaData)^2} (Karras et al. 2022, Table 1, "ours"; NVlabs/edm
 * {@code EDMLoss}); on the raw network the per-example weight is {@code lambda cOut^2}, with VP's or VE's own
 * preconditioning {@code (sigma^2 + sigmaData^2) / sigmaData^2}, with EDM's ({@link PreconditioningKind#EDM}) 1.
 *
 * <p>Why it matters: with {@code cSkip = 1} and {@code cOut = +-sigma}, the raw network's target is the noise; the
 * part of it that depends on the clean image (and so on the class label) has a standard deviation of about
 * {@code sigmaData / sigma}, drowned by the unit noise at large sigma. The epsilon loss weighs a denoiser error by
 * {@code 1 / sigma^2}, so what the label decides (the class mean, visible from sigma ~ 1 up) barely moves the loss;
 * EDM's weight keeps a denoiser error costing the same (4 per unit squared error) at every large sigma.
 */
public enum LossWeighting {
    /** The parameterization's own {@code lambda = 1 / sigma^2}. */
    PAPER("paper"),
    /** EDM's {@code lambda = (sigma^2 + sigmaData^2) / (sigma sigmaData)^2}. */
    EDM("edm");

    private final String id;

    LossWeighting(String id) {
        this.id = id;
    }

    /** The name used at the edges (Spark Params, CLI, config). */
    public String id() {
        return id;
    }

    /** {@code lambda(sigma)} of this weighting. */
    double lambda(double sigma, double sigmaData) {
        if (this == PAPER) {
            return 1.0 / (sigma * sigma);
        }
        double prod = sigma * sigmaData;
        return (sigma * sigma + sigmaData * sigmaData) / (prod * prod);
    }

    /**
     * {@code lambda(sigma) cOut(sigma)^2} of {@code p} (which uses this weighting and {@code preconditioning}): exactly
     * 1 when both are the paper's, so that the paper recipes keep the plain MSE.
     */
    double networkWeight(PreconditioningKind preconditioning, Parameterization p, double sigma) {
        if (this == PAPER && preconditioning == PreconditioningKind.PAPER) {
            return 1.0;
        }
        double cOut = p.precondition(sigma).cOut();
        return p.lossWeight(sigma) * cOut * cOut;
    }

    /**
     * Parses {@code "paper"} or {@code "edm"} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static LossWeighting parse(String name) {
        return SettingIds.parse("lossWeighting", values(), LossWeighting::id, name);
    }
}
