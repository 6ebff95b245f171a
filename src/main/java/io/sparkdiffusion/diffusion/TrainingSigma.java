package io.sparkdiffusion.diffusion;

import java.util.SplittableRandom;

/**
 * The training noise-level distribution {@code p_train(sigma)} of {@link VpParameterization} and
 * {@link VeParameterization}: their paper's (Karras et al. 2022, Table 1), or EDM's log-normal one (EDM's Table 2,
 * config E: the noise levels where a small budget pays). Measured here, it is not enough on its own with VP's or
 * VE's own preconditioning (docs/parameterizations.md).
 *
 * <p>Why the paper's distributions are poor at a small budget: VP's {@code t ~ U(epsilonT, 1)} puts 35 % of the draws
 * above {@code sigma = 8} and under 3 % below {@code sigma = 0.1}; VE's log-uniform sigma on [0.02, 100] spends 35 %
 * above {@code sigma = 5}. Above a few sigma the best denoiser is nearly the class mean (easy, little to learn),
 * while the levels that decide the image's details, roughly 0.05 to 3, get few draws (Karras et al. 2022, Sec. 5
 * and Fig. 5a: the loss can only be reduced at intermediate levels). The log-normal {@code ln sigma ~ N(pMean,
 * pStd^2)} with EDM's -1.2, 1.2 puts 68 % of the draws in [0.09, 1.0].
 */
public enum TrainingSigma {
    /** The parameterization's own Table 1 distribution (VP: {@code t ~ U(epsilonT, 1)}; VE: log-uniform). */
    PAPER("paper"),
    /** EDM's {@code ln sigma ~ N(pMean, pStd^2)}. */
    LOG_NORMAL("log-normal");

    private final String id;

    TrainingSigma(String id) {
        this.id = id;
    }

    /** The name used at the edges (Spark Params, CLI, config). */
    public String id() {
        return id;
    }

    /** One draw of EDM's log-normal: {@code exp(pMean + pStd z)}, {@code z ~ N(0, 1)}. */
    static double logNormal(SplittableRandom rng, double pMean, double pStd) {
        return Math.exp(pMean + pStd * rng.nextGaussian());
    }

    /**
     * Parses {@code "paper"} or {@code "log-normal"} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static TrainingSigma parse(String name) {
        return SettingIds.parse("trainingSigma", values(), TrainingSigma::id, name);
    }
}
