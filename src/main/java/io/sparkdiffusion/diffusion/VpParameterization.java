package io.sparkdiffusion.diffusion;

import java.util.SplittableRandom;

/**
 * Variance preserving (DDPM / DDIM family; Song et al. 2021 VP-SDE), as in Karras et al. 2022, Table 1:
 * {@code sigma(t) = sqrt(exp(betaD t^2 / 2 + betaMin t) - 1)}, {@code s(t) = 1 / sqrt(1 + sigma(t)^2)};
 * {@code cSkip = 1}, {@code cOut = -sigma}, {@code cIn = 1 / sqrt(sigma^2 + 1)}, {@code cNoise = (m - 1) sigmaInv(sigma)};
 * training {@code t ~ U(epsilonT, 1)}, {@code lambda = 1 / sigma^2}; sampling grid linear in {@code t} from 1 to
 * {@code epsilonS} ({@link TimeGrid#VP}).
 *
 * <p>EDM's recipe on VP's schedule (EDM Table 2, configs D and E; docs/parameterizations.md): {@code trainingSigma =
 * LOG_NORMAL} draws {@code ln sigma ~ N(pMean, pStd^2)}, {@code lossWeighting = EDM} takes EDM's {@code lambda},
 * {@code preconditioning = EDM} EDM's {@code cSkip, cOut, cIn} (with {@code sigmaData}); {@code cNoise}, {@code sigma(t)},
 * {@code s(t)} and the grid stay VP's. The defaults are the paper's.
 *
 * @param betaD    extent of the noise schedule ({@code > 0})
 * @param betaMin  initial slope of the schedule ({@code > 0})
 * @param epsilonT smallest training {@code t}, in (0, 1)
 * @param epsilonS smallest sampling {@code t}, in (0, 1)
 * @param m        number of steps of the original discrete DDPM ({@code >= 1}); scales {@code cNoise}
 * @param trainingSigma the training distribution: the paper's uniform {@code t}, or log-normal
 * @param pMean    mean of {@code ln sigma} for {@link TrainingSigma#LOG_NORMAL}
 * @param pStd     standard deviation of {@code ln sigma} for {@link TrainingSigma#LOG_NORMAL}, {@code > 0}
 * @param lossWeighting {@code lambda}: the paper's {@code 1 / sigma^2}, or EDM's ({@link LossWeighting})
 * @param sigmaData standard deviation of the data for {@link LossWeighting#EDM} and {@link PreconditioningKind#EDM},
 *                  {@code > 0}
 * @param preconditioning {@code cSkip, cOut, cIn}: the paper's, or EDM's ({@link PreconditioningKind})
 */
public record VpParameterization(double betaD, double betaMin, double epsilonT, double epsilonS, int m,
                                 TrainingSigma trainingSigma, double pMean, double pStd,
                                 LossWeighting lossWeighting, double sigmaData,
                                 PreconditioningKind preconditioning)
        implements Parameterization {

    public VpParameterization {
        Checks.positive("betaD", betaD);
        Checks.positive("betaMin", betaMin);
        if (!(epsilonT > 0 && epsilonT < 1)) {
            throw new IllegalArgumentException("epsilonT must be in (0, 1), got " + epsilonT);
        }
        if (!(epsilonS > 0 && epsilonS < 1)) {
            throw new IllegalArgumentException("epsilonS must be in (0, 1), got " + epsilonS);
        }
        if (m < 1) {
            throw new IllegalArgumentException("m must be >= 1, got " + m);
        }
        Checks.recipeOptions(trainingSigma, pMean, pStd, lossWeighting, sigmaData, preconditioning);
    }

    /** The paper's training distribution, {@code t ~ U(epsilonT, 1)} (pMean, pStd, sigmaData: EDM's, unused) and {@code lambda}. */
    public VpParameterization(double betaD, double betaMin, double epsilonT, double epsilonS, int m) {
        this(betaD, betaMin, epsilonT, epsilonS, m, TrainingSigma.PAPER, EdmParameterization.P_MEAN,
                EdmParameterization.P_STD, LossWeighting.PAPER, EdmParameterization.SIGMA_DATA, PreconditioningKind.PAPER);
    }

    /** {@code betaD = 19.9, betaMin = 0.1, epsilonT = 1e-5, epsilonS = 1e-3, m = 1000}, paper's training. */
    public static VpParameterization defaults() {
        return new VpParameterization(19.9, 0.1, 1e-5, 1e-3, 1000);
    }

    @Override
    public ParameterizationKind kind() {
        return ParameterizationKind.VP;
    }

    @Override
    public double sigma(double t) {
        // expm1 keeps sigma accurate at the small t where exp(...) - 1 would cancel.
        return Math.sqrt(Math.expm1(0.5 * betaD * t * t + betaMin * t));
    }

    @Override
    public double sigmaDeriv(double t) {
        double sigma = sigma(t);
        return 0.5 * (betaMin + betaD * t) * (sigma + 1.0 / sigma);
    }

    @Override
    public double sigmaInv(double sigma) {
        return (Math.sqrt(betaMin * betaMin + 2.0 * betaD * Math.log1p(sigma * sigma)) - betaMin) / betaD;
    }

    @Override
    public double s(double t) {
        return Math.exp(-0.25 * betaD * t * t - 0.5 * betaMin * t);
    }

    @Override
    public double sDeriv(double t) {
        return -0.5 * (betaD * t + betaMin) * s(t);
    }

    @Override
    public Preconditioning precondition(double sigma) {
        Preconditioning paper = new Preconditioning(1.0, -sigma, 1.0 / Math.sqrt(sigma * sigma + 1.0),
                (m - 1) * sigmaInv(sigma));
        return preconditioning.apply(sigma, sigmaData, paper);
    }

    @Override
    public double sampleTrainingSigma(SplittableRandom rng) {
        if (trainingSigma == TrainingSigma.LOG_NORMAL) {
            return TrainingSigma.logNormal(rng, pMean, pStd);
        }
        return sigma(1.0 + rng.nextDouble() * (epsilonT - 1.0));
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
    public double sigmaMin() {
        return sigma(epsilonS);
    }

    @Override
    public double sigmaMax() {
        return sigma(1.0);
    }

    @Override
    public TimeGrid defaultTimeGrid() {
        return TimeGrid.VP;
    }
}
