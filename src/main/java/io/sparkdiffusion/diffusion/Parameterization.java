package io.sparkdiffusion.diffusion;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * One diffusion method as a point in the design space of Karras et al. 2022 (Table 1).
 *
 * <p>The forward process is {@code x_t = s(t) * (y + sigma(t) * n)} with {@code n ~ N(0, I)}; the probability-flow
 * ODE (Eq. 4) is {@code dx/dt = (sigma'(t)/sigma(t) + s'(t)/s(t)) x - sigma'(t) s(t)/sigma(t) D(x/s(t); sigma(t))}.
 * Every parameterization has {@code sigma(0) = 0} and {@code s(0) = 1}.
 *
 * <p>Training (Eq. 8) minimizes {@code E lambda(sigma) |D(y + sigma n; sigma) - y|^2}, which is the squared error of
 * the raw network {@code F(cIn * x; cNoise)} against the target {@code (y - cSkip * x) / cOut} (what
 * {@link #trainingExample} produces) weighted by {@link #networkLossWeight} {@code = lambda(sigma) cOut(sigma)^2}
 * (Eq. 8 rewritten). With each paper's own {@code lambda} that weight is 1 for all four (plain MSE); VP and VE can
 * take EDM's {@code lambda} instead ({@link LossWeighting}).
 *
 * <p>Serializable (records of doubles and enums), so that the Spark layer ships the parameterization itself, with
 * every field as set, to the executors.
 */
public sealed interface Parameterization extends Serializable
        permits EdmParameterization, VpParameterization, VeParameterization, FlowParameterization {

    /** The family, for names at the edges. */
    ParameterizationKind kind();

    /** Noise level {@code sigma(t)}. */
    double sigma(double t);

    /** {@code d sigma / dt}. */
    double sigmaDeriv(double t);

    /** Inverse of {@link #sigma}: the {@code t} with {@code sigma(t) = sigma}. */
    double sigmaInv(double sigma);

    /** Scaling {@code s(t)}. */
    double s(double t);

    /** {@code d s / dt}. */
    double sDeriv(double t);

    /** {@code cSkip, cOut, cIn, cNoise} at noise level {@code sigma > 0} (Table 1, "Network and preconditioning"). */
    Preconditioning precondition(double sigma);

    /** Draws one training noise level from the training distribution {@code p_train(sigma)} (Table 1). */
    double sampleTrainingSigma(SplittableRandom rng);

    /** Loss weight {@code lambda(sigma)} of Eq. 8; {@code 1 / cOut(sigma)^2} with each paper's own weighting. */
    double lossWeight(double sigma);

    /**
     * Weight of the raw network's squared error at {@code sigma}, {@code lambda(sigma) cOut(sigma)^2}; exactly 1 (plain
     * MSE) unless a VP or VE parameterization uses EDM's {@code lambda} ({@link LossWeighting}).
     */
    default double networkLossWeight(double sigma) {
        return 1.0;
    }

    /** Smallest positive noise level of the default sampling grid. */
    double sigmaMin();

    /** Largest noise level of the default sampling grid (where sampling starts). */
    double sigmaMax();

    /** The time-step discretization this method was published with. */
    TimeGrid defaultTimeGrid();

    /** The {@code rho} of the EDM grid used when {@link TimeGrid#EDM} is chosen with this parameterization. */
    default double rho() {
        return 7.0;
    }

    /**
     * The default sampling grid: {@code numSteps + 1} times, decreasing, {@code t[numSteps] = 0}.
     *
     * @throws IllegalArgumentException if {@code numSteps < 1}
     */
    default double[] timeSteps(int numSteps) {
        return defaultTimeGrid().timeSteps(this, numSteps, sigmaMin(), sigmaMax(), rho());
    }

    /**
     * Writes one training example of the raw network for clean data {@code y}, unit noise {@code n} and noise
     * level {@code sigma}: the network input {@code cIn * (y + sigma n)} into {@code netInput} and the regression
     * target {@code (y - cSkip (y + sigma n)) / cOut} into {@code target} (both float32, as the network runs in
     * float32; arithmetic in double). Plain MSE between {@code F(netInput; cNoise)} and {@code target} is the
     * {@code lambda}-weighted denoiser loss of Eq. 8.
     *
     * @return {@code cNoise(sigma)}, the noise conditioning to feed the network
     */
    default double trainingExample(float[] y, float[] n, double sigma, float[] netInput, float[] target) {
        int dim = y.length;
        if (n.length != dim || netInput.length != dim || target.length != dim) {
            throw new IllegalArgumentException("trainingExample: y, n, netInput and target must have the same length, got "
                    + dim + ", " + n.length + ", " + netInput.length + ", " + target.length);
        }
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("trainingExample: sigma must be finite and > 0, got " + sigma);
        }
        Preconditioning p = precondition(sigma);
        // (y - cSkip (y + sigma n)) / cOut expanded, so that y's cancellation is explicit.
        double ya = (1.0 - p.cSkip()) / p.cOut();
        double na = -p.cSkip() * sigma / p.cOut();
        for (int j = 0; j < dim; j++) {
            double x = y[j] + sigma * (double) n[j];
            netInput[j] = (float) (p.cIn() * x);
            target[j] = (float) (ya * y[j] + na * n[j]);
        }
        return p.cNoise();
    }

    /**
     * Parses a name ({@code "flow", "ve", "vp", "edm"}) into the parameterization with its paper's settings.
     *
     * @throws IllegalArgumentException listing the allowed names
     */
    static Parameterization parse(String name) {
        return ParameterizationKind.parse(name).defaults();
    }
}
