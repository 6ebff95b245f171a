package io.sparkdiffusion.diffusion;

import java.util.SplittableRandom;

/**
 * Variance exploding (SMLD / NCSN; Song et al. 2021 VE-SDE), as in Karras et al. 2022, Table 1:
 * {@code sigma(t) = sqrt(t)}, {@code s(t) = 1}; {@code cSkip = 1}, {@code cOut = sigma}, {@code cIn = 1},
 * {@code cNoise = ln(sigma / 2)}; training {@code ln sigma ~ U(ln sigmaMin, ln sigmaMax)},
 * {@code lambda = 1 / sigma^2}; sampling grid geometric in {@code sigma} ({@link TimeGrid#VE}).
 *
 * @param sigmaMin smallest noise level (training and sampling), {@code > 0}
 * @param sigmaMax largest noise level, {@code > sigmaMin}
 */
public record VeParameterization(double sigmaMin, double sigmaMax) implements Parameterization {

    public VeParameterization {
        Checks.sigmaRange(sigmaMin, sigmaMax);
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
        return new Preconditioning(1.0, sigma, 1.0, Math.log(0.5 * sigma));
    }

    @Override
    public double sampleTrainingSigma(SplittableRandom rng) {
        return sigmaMin * Math.pow(sigmaMax / sigmaMin, rng.nextDouble());
    }

    @Override
    public double lossWeight(double sigma) {
        return 1.0 / (sigma * sigma);
    }

    @Override
    public TimeGrid defaultTimeGrid() {
        return TimeGrid.VE;
    }
}
