package io.sparkdiffusion.diffusion;

import java.util.SplittableRandom;

/**
 * Variance exploding (SMLD / NCSN; Song et al. 2021 VE-SDE), as in Karras et al. 2022, Table 1:
 * {@code sigma(t) = sqrt(t)}, {@code s(t) = 1}; {@code cSkip = 1}, {@code cOut = sigma}, {@code cIn = 1},
 * {@code cNoise = ln(sigma / 2)}; training {@code ln sigma ~ U(ln sigmaMin, ln sigmaMax)},
 * {@code lambda = 1 / sigma^2}; sampling grid geometric in {@code sigma} ({@link TimeGrid#VE}).
 *
 * <p>EDM's recipe on VE's schedule (EDM Table 2, configs D and E; docs/parameterizations.md): {@code trainingSigma =
 * LOG_NORMAL} draws {@code ln sigma ~ N(pMean, pStd^2)}, {@code lossWeighting = EDM} takes EDM's {@code lambda},
 * {@code preconditioning = EDM} EDM's {@code cSkip, cOut, cIn} (with {@code sigmaData}); {@code cNoise}, {@code sigma(t)}
 * and the grid stay VE's. The defaults are the paper's.
 *
 * @param sigmaMin smallest noise level (training and sampling), {@code > 0}
 * @param sigmaMax largest noise level, {@code > sigmaMin}
 * @param trainingSigma the training distribution: the paper's log-uniform, or log-normal
 * @param pMean    mean of {@code ln sigma} for {@link TrainingSigma#LOG_NORMAL}
 * @param pStd     standard deviation of {@code ln sigma} for {@link TrainingSigma#LOG_NORMAL}, {@code > 0}
 * @param lossWeighting {@code lambda}: the paper's {@code 1 / sigma^2}, or EDM's ({@link LossWeighting})
 * @param sigmaData standard deviation of the data for {@link LossWeighting#EDM} and {@link PreconditioningKind#EDM},
 *                  {@code > 0}
 * @param preconditioning {@code cSkip, cOut, cIn}: the paper's, or EDM's ({@link PreconditioningKind})
 */
public record VeParameterization(double sigmaMin, double sigmaMax, TrainingSigma trainingSigma, double pMean,
                                 double pStd, LossWeighting lossWeighting, double sigmaData,
                                 PreconditioningKind preconditioning)
        implements Parameterization {

    public VeParameterization {
        Checks.sigmaRange(sigmaMin, sigmaMax);
        Checks.recipeOptions(trainingSigma, pMean, pStd, lossWeighting, sigmaData, preconditioning);
    }

    /** The paper's training distribution, log-uniform on {@code [sigmaMin, sigmaMax]} (pMean, pStd, sigmaData: EDM's, unused) and {@code lambda}. */
    public VeParameterization(double sigmaMin, double sigmaMax) {
        this(sigmaMin, sigmaMax, TrainingSigma.PAPER, EdmParameterization.P_MEAN, EdmParameterization.P_STD,
                LossWeighting.PAPER, EdmParameterization.SIGMA_DATA, PreconditioningKind.PAPER);
    }

    /** {@code sigmaMin = 0.02, sigmaMax = 100}. */
    public static VeParameterization defaults() {
        return new VeParameterization(0.02, 100.0);
    }

    @Override
    public ParameterizationKind kind() {
        return ParameterizationKind.VE;
    }

    @Override
    public double sigma(double t) {
        return Math.sqrt(t);
    }

    @Override
    public double sigmaDeriv(double t) {
        return 0.5 / Math.sqrt(t);
    }

    @Override
    public double sigmaInv(double sigma) {
        return sigma * sigma;
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
        return preconditioning.apply(sigma, sigmaData, new Preconditioning(1.0, sigma, 1.0, Math.log(0.5 * sigma)));
    }

    @Override
    public double sampleTrainingSigma(SplittableRandom rng) {
        if (trainingSigma == TrainingSigma.LOG_NORMAL) {
            return TrainingSigma.logNormal(rng, pMean, pStd);
        }
        return sigmaMin * Math.pow(sigmaMax / sigmaMin, rng.nextDouble());
    }

    @Override
    public double lossWeight(double sigma) {
        return lossWeighting.lambda(sigma, sigmaData);
    }

    @Override
    public double networkLossWeight(double sigma) {
        return lossWeighting.networkWeight(preconditioning, this, sigma);
    }

    @Override
    public TimeGrid defaultTimeGrid() {
        return TimeGrid.VE;
    }
}
