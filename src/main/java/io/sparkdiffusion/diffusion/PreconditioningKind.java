package io.sparkdiffusion.diffusion;

/**
 * Which {@code cSkip, cOut, cIn} a {@link VpParameterization} or {@link VeParameterization} uses: its paper's
 * (Table 1: VP {@code 1, -sigma, 1/sqrt(sigma^2 + 1)}; VE {@code 1, sigma, 1}: the network predicts the noise) or
 * EDM's ({@code sigmaData^2 / (sigma^2 + sigmaData^2)}, {@code sigma sigmaData / sqrt(sigma^2 + sigmaData^2)},
 * {@code 1 / sqrt(sigma^2 + sigmaData^2)}), which is EDM's Table 2 config D on VP and VE. {@code cNoise}, the schedule
 * {@code sigma(t), s(t)} and the sampling grid stay the parameterization's own.
 *
 * <p>Why: with {@code cSkip = 1} the network must output the noise and the denoiser is {@code x -+ sigma F}, so an
 * error of F is multiplied by sigma, and what depends on the clean image (the class) is a part of about
 * {@code sigmaData / sigma} of the target (Karras et al. 2022, Sec. 5). Measured here (docs/parameterizations.md):
 * with VP's or VE's own preconditioning the model ignores its label, whatever the training distribution and loss
 * weight.
 */
public enum PreconditioningKind {
    /** The parameterization's own Table 1 preconditioning. */
    PAPER("paper"),
    /** EDM's {@code cSkip, cOut, cIn} with {@code sigmaData}, the parameterization's own {@code cNoise}. */
    EDM("edm");

    private final String id;

    PreconditioningKind(String id) {
        this.id = id;
    }

    /** The name used at the edges (Spark Params, CLI, config). */
    public String id() {
        return id;
    }

    /** {@code paper} itself, or EDM's {@code cSkip, cOut, cIn} at {@code sigma} with {@code paper}'s {@code cNoise}. */
    Preconditioning apply(double sigma, double sigmaData, Preconditioning paper) {
        if (this == PAPER) {
            return paper;
        }
        double sd2 = sigmaData * sigmaData;
        double total = sigma * sigma + sd2;
        return new Preconditioning(sd2 / total, sigma * sigmaData / Math.sqrt(total), 1.0 / Math.sqrt(total),
                paper.cNoise());
    }

    /**
     * Parses {@code "paper"} or {@code "edm"} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static PreconditioningKind parse(String name) {
        return SettingIds.parse("preconditioning", values(), PreconditioningKind::id, name);
    }
}
