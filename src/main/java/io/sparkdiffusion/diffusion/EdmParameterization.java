package io.sparkdiffusion.diffusion;

import java.util.SplittableRandom;

/**
 * EDM (Karras et al. 2022, Table 1, "ours"): {@code sigma(t) = t}, {@code s(t) = 1};
 * {@code cSkip = sigmaData^2 / (sigma^2 + sigmaData^2)}, {@code cOut = sigma sigmaData / sqrt(sigma^2 + sigmaData^2)},
 * {@code cIn = 1 / sqrt(sigma^2 + sigmaData^2)}, {@code cNoise = ln(sigma) / 4};
 * training {@code ln sigma ~ N(pMean, pStd^2)}, {@code lambda = (sigma^2 + sigmaData^2) / (sigma sigmaData)^2};
 * sampling grid {@code sigma_i = (sigmaMax^(1/rho) + i/(N-1) (sigmaMin^(1/rho) - sigmaMax^(1/rho)))^rho} (Eq. 5).
 *
 * @param sigmaData standard deviation of the data, {@code > 0} (0.5 for images in [-1, 1])
 * @param pMean     mean of {@code ln sigma} during training
 * @param pStd      standard deviation of {@code ln sigma} during training, {@code > 0}
 * @param sigmaMin  smallest sampling noise level, {@code > 0}
 * @param sigmaMax  largest sampling noise level, {@code > sigmaMin}
 * @param rho       grid exponent, {@code > 0}
 */
public record EdmParameterization(double sigmaData, double pMean, double pStd, double sigmaMin, double sigmaMax,
                                  double rho) implements Parameterization {

    public EdmParameterization {
        Checks.positive("sigmaData", sigmaData);
        Checks.finite("pMean", pMean);
        Checks.positive("pStd", pStd);
        Checks.sigmaRange(sigmaMin, sigmaMax);
        Checks.positive("rho", rho);
    }

    /** EDM's {@code P_mean} (Table 1), also the log-normal training of VP and VE ({@link TrainingSigma}). */
    static final double P_MEAN = -1.2;
    /** EDM's {@code P_std} (Table 1). */
    static final double P_STD = 1.2;
    /** EDM's {@code sigma_data} for images in [-1, 1] (Table 1). */
    static final double SIGMA_DATA = 0.5;

    /** {@code sigmaData = 0.5, pMean = -1.2, pStd = 1.2}, grid from 80 to 0.002 with {@code rho = 7}. */
    public static EdmParameterization defaults() {
        return new EdmParameterization(SIGMA_DATA, P_MEAN, P_STD, 0.002, 80.0, 7.0);
    }

    @Override
    public ParameterizationKind kind() {
        return ParameterizationKind.EDM;
    }

    @Override
    public double sigma(double t) {
        return t;
    }

    @Override
    public double sigmaDeriv(double t) {
        return 1.0;
    }

    @Override
    public double sigmaInv(double sigma) {
        return sigma;
    }

    @Override
    public double s(double t) {
        return 1.0;
    }

    @Override
    public double sDeriv(double t) {
        return 0.0;
    }

    @Override
    public Preconditioning precondition(double sigma) {
        double sd2 = sigmaData * sigmaData;
        double total = sigma * sigma + sd2;
        return new Preconditioning(sd2 / total, sigma * sigmaData / Math.sqrt(total), 1.0 / Math.sqrt(total),
                Math.log(sigma) / 4.0);
    }

    @Override
    public double sampleTrainingSigma(SplittableRandom rng) {
        return TrainingSigma.logNormal(rng, pMean, pStd);
    }

    @Override
    public double lossWeight(double sigma) {
        double prod = sigma * sigmaData;
        return (sigma * sigma + sigmaData * sigmaData) / (prod * prod);
    }

    @Override
    public TimeGrid defaultTimeGrid() {
        return TimeGrid.EDM;
    }
}
