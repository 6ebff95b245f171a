package io.sparkdiffusion.diffusion;

import java.util.SplittableRandom;

/**
 * Flow Matching / rectified flow (Lipman et al. 2023, Liu et al. 2023) as an EDM parameterization:
 * {@code x_t = (1 - t) y + t n} is {@code s(t) (y + sigma(t) n)} with {@code s(t) = 1 - t},
 * {@code sigma(t) = t / (1 - t)}, so {@code t = sigma / (1 + sigma)}.
 *
 * <p>Preconditioning: {@code cIn = 1 / (1 + sigma)} (the network sees {@code x_t} itself),
 * {@code cSkip = 1 / (1 + sigma)}, {@code cOut = -sigma / (1 + sigma)}, {@code cNoise = cNoiseScale * t}
 * (default 1000 t, so the sinusoidal noise embedding resolves t as it resolves DDPM's step index). Then the network
 * target {@code (y - cSkip x) / cOut = n - y} is the flow velocity {@code dx_t/dt}, and
 * {@code lambda = 1 / cOut^2 = ((1 + sigma) / sigma)^2}.
 *
 * <p>Training {@code t ~ U(0, 1)} (Liu et al.) or logit-normal {@code t = 1 / (1 + exp(-(logitMean + logitStd z)))}
 * (Esser et al. 2024). Sampling: uniform grid in {@code t} from {@code tMax} down to 0 ({@link TimeGrid#UNIFORM}).
 *
 * @param trainingT   distribution of training {@code t}
 * @param logitMean   mean of {@code logit(t)} for {@link TrainingT#LOGIT_NORMAL}
 * @param logitStd    standard deviation of {@code logit(t)} for {@link TrainingT#LOGIT_NORMAL}, {@code > 0}
 * @param tMax        where sampling starts, in (0, 1) ({@code sigma(1)} is infinite)
 * @param tMin        smallest positive {@code t} of non-uniform sampling grids, in (0, tMax)
 * @param cNoiseScale {@code cNoise = cNoiseScale * t}, {@code > 0}
 */
public record FlowParameterization(TrainingT trainingT, double logitMean, double logitStd, double tMax, double tMin,
                                   double cNoiseScale) implements Parameterization {

    /** Training distribution of {@code t}. */
    public enum TrainingT {
        UNIFORM("uniform"), LOGIT_NORMAL("logit-normal");

        private final String id;

        TrainingT(String id) {
            this.id = id;
        }

        /** The name used at the edges: {@code uniform} or {@code logit-normal}. */
        public String id() {
            return id;
        }

        /** Parses {@code "uniform"} or {@code "logit-normal"}. */
        public static TrainingT parse(String name) {
            return SettingIds.parse("trainingT", values(), TrainingT::id, name);
        }
    }

    public FlowParameterization {
        if (trainingT == null) {
            throw new IllegalArgumentException("trainingT must be UNIFORM or LOGIT_NORMAL, got null");
        }
        Checks.finite("logitMean", logitMean);
        Checks.positive("logitStd", logitStd);
        if (!(tMax > 0 && tMax < 1)) {
            throw new IllegalArgumentException("tMax must be in (0, 1), got " + tMax);
        }
        if (!(tMin > 0 && tMin < tMax)) {
            throw new IllegalArgumentException("tMin must be in (0, tMax = " + tMax + "), got " + tMin);
        }
        Checks.positive("cNoiseScale", cNoiseScale);
    }

    /** Uniform training {@code t}, sampling from {@code tMax = 0.999}, {@code tMin = 0.001}, {@code cNoise = 1000 t}. */
    public static FlowParameterization defaults() {
        return new FlowParameterization(TrainingT.UNIFORM, 0.0, 1.0, 0.999, 0.001, 1000.0);
    }

    /** Same, with logit-normal training {@code t} (mean 0, std 1). */
    public static FlowParameterization logitNormal() {
        return new FlowParameterization(TrainingT.LOGIT_NORMAL, 0.0, 1.0, 0.999, 0.001, 1000.0);
    }

    @Override
    public ParameterizationKind kind() {
        return ParameterizationKind.FLOW;
    }

    @Override
    public double sigma(double t) {
        return t / (1.0 - t);
    }

    @Override
    public double sigmaDeriv(double t) {
        double u = 1.0 - t;
        return 1.0 / (u * u);
    }

    @Override
    public double sigmaInv(double sigma) {
        return sigma / (1.0 + sigma);
    }

    @Override
    public double s(double t) {
        return 1.0 - t;
    }

    @Override
    public double sDeriv(double t) {
        return -1.0;
    }

    @Override
    public Preconditioning precondition(double sigma) {
        double inv = 1.0 / (1.0 + sigma);
        return new Preconditioning(inv, -sigma * inv, inv, cNoiseScale * sigma * inv);
    }

    @Override
    public double sampleTrainingSigma(SplittableRandom rng) {
        double t;
        if (trainingT == TrainingT.UNIFORM) {
            // Open interval (0, 1): t = 0 or 1 would give sigma = 0 or infinity.
            t = ((rng.nextLong() >>> 11) + 0.5) * 0x1.0p-53;
        } else {
            t = 1.0 / (1.0 + Math.exp(-(logitMean + logitStd * rng.nextGaussian())));
        }
        return sigma(t);
    }

    @Override
    public double lossWeight(double sigma) {
        double r = (1.0 + sigma) / sigma;
        return r * r;
    }

    @Override
    public double sigmaMin() {
        return sigma(tMin);
    }

    @Override
    public double sigmaMax() {
        return sigma(tMax);
    }

    @Override
    public TimeGrid defaultTimeGrid() {
        return TimeGrid.UNIFORM;
    }
}
