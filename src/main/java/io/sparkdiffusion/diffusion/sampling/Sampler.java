package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.ClassifierFreeGuidance;
import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.diffusion.EdmParameterization;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.ParameterizationKind;

import java.util.SplittableRandom;

/**
 * Runs one sampler ({@link SamplerSettings#kind()}) of a {@link Parameterization} with any {@link Denoiser}.
 *
 * <p>Randomness: sample {@code i} uses only {@code seeds[i]}: {@code root = new SplittableRandom(seeds[i])}; the
 * starting noise is {@code dim} Gaussians from {@code root.split()} (unless the caller passes its own), the per-step
 * noise (churn, ancestral, SDE, Langevin) comes from a second {@code root.split()}. So a sample is the same whatever
 * batch or partition it is drawn in, bit for bit, as long as the denoiser treats rows independently.
 *
 * <p>Output rows are samples at {@code t = 0} ({@code s(0) = 1}), in data units.
 */
public final class Sampler {

    private final Parameterization parameterization;
    private final SamplerSettings settings;
    private final double[] timeSteps;
    private final Parameterization ode; // sigma(t), s(t) of the ODE the ODE samplers integrate

    /**
     * @throws IllegalArgumentException if a flow sampler is paired with a non-flow parameterization
     */
    public Sampler(Parameterization parameterization, SamplerSettings settings) {
        if (parameterization == null || settings == null) {
            throw new IllegalArgumentException("parameterization and settings must not be null");
        }
        SamplerKind kind = settings.kind();
        if ((kind == SamplerKind.FLOW_EULER || kind == SamplerKind.FLOW_HEUN)
                && parameterization.kind() != ParameterizationKind.FLOW) {
            throw new IllegalArgumentException("sampler " + kind.id() + " requires parameterization flow, got "
                    + parameterization.kind().id());
        }
        this.parameterization = parameterization;
        this.settings = settings;
        double[] t = settings.timeGrid().timeSteps(parameterization, settings.numSteps(), settings.sigmaMin(),
                settings.sigmaMax(), settings.rho());
        if (settings.odeSchedule() == OdeSchedule.EDM) {
            // The grid's noise levels, as times of sigma(t) = t.
            for (int i = 0; i < t.length; i++) {
                t[i] = parameterization.sigma(t[i]);
            }
            this.ode = EdmParameterization.defaults();
        } else {
            this.ode = parameterization;
        }
        this.timeSteps = t;
    }

    /** Convenience: parse names and use the defaults of {@link SamplerSettings#defaults}. */
    public static Sampler of(String parameterization, String sampler) {
        Parameterization p = Parameterization.parse(parameterization);
        return new Sampler(p, SamplerSettings.defaults(SamplerKind.parse(sampler), p));
    }

    public Parameterization parameterization() {
        return parameterization;
    }

    public SamplerSettings settings() {
        return settings;
    }

    /**
     * The {@code numSteps + 1} times {@code t_0 > ... > t_N = 0} this sampler visits (a copy): of the
     * parameterization's {@code sigma(t)}, or with {@link OdeSchedule#EDM} the noise levels themselves.
     */
    public double[] timeSteps() {
        return timeSteps.clone();
    }

    /**
     * Draws {@code n} samples; the starting noise of sample {@code i} comes from {@code seeds[i]}.
     *
     * @param denoiser the model; wrapped in {@link ClassifierFreeGuidance} when {@code guidanceWeight != 1}
     * @param n        number of samples ({@code >= 0})
     * @param dim      values per sample ({@code >= 1}; an image is C*H*W)
     * @param seeds    one seed per sample, {@code [n]}
     * @param labels   one class label per sample ({@code -1} = none), or {@code null}
     * @return {@code [n, dim]} row-major samples
     */
    public double[] sample(Denoiser denoiser, int n, int dim, long[] seeds, int[] labels) {
        return run(denoiser, n, dim, null, seeds, labels);
    }

    /**
     * Draws {@code n} samples from caller-provided starting noise, for comparison with other implementations.
     *
     * @param noise {@code [n, dim]} unit Gaussian starting noise (the sampler scales it by {@code s(t_0) sigma(t_0)});
     *              not modified
     * @param seeds one seed per sample, {@code [n]}, for the per-step noise of stochastic samplers
     */
    public double[] sample(Denoiser denoiser, int n, int dim, double[] noise, long[] seeds, int[] labels) {
        if (noise == null) {
            throw new IllegalArgumentException("noise must not be null (use the overload without noise)");
        }
        return run(denoiser, n, dim, noise, seeds, labels);
    }

    private double[] run(Denoiser denoiser, int n, int dim, double[] noise, long[] seeds, int[] labels) {
        validate(denoiser, n, dim, noise, seeds, labels);
        double[] x = new double[n * dim];
        SplittableRandom[] stepRandom = new SplittableRandom[n];
        for (int i = 0; i < n; i++) {
            SplittableRandom root = new SplittableRandom(seeds[i]);
            SplittableRandom initial = root.split();
            stepRandom[i] = root.split();
            for (int j = i * dim, end = j + dim; j < end; j++) {
                x[j] = noise == null ? initial.nextGaussian() : noise[j];
            }
        }
        if (n == 0) {
            return x;
        }
        Denoiser d = ClassifierFreeGuidance.wrap(denoiser, settings.guidanceWeight());
        Batch batch = new Batch(n, dim, x, d, labels == null ? null : labels.clone(), stepRandom);
        Parameterization p = parameterization;
        switch (settings.kind()) {
            case HEUN, EULER, EDM_STOCHASTIC -> OdeSolver.run(ode, settings, timeSteps, batch);
            case DDIM -> AncestralSolver.run(p, timeSteps, settings.eta(), batch);
            case DDPM -> AncestralSolver.run(p, timeSteps, 1.0, batch);
            case DPMPP_2M -> DpmSolverPlusPlus2M.run(p, timeSteps, batch);
            case SDE, PC -> ReverseSdeSolver.run(p, settings, timeSteps, batch);
            case FLOW_EULER, FLOW_HEUN -> FlowSolver.run(p, settings.kind() == SamplerKind.FLOW_HEUN, timeSteps, batch);
        }
        return x;
    }

    private static void validate(Denoiser denoiser, int n, int dim, double[] noise, long[] seeds, int[] labels) {
        if (denoiser == null) {
            throw new IllegalArgumentException("denoiser must not be null");
        }
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        if (dim < 1) {
            throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        }
        if ((long) n * dim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("n * dim must fit one array, got " + n + " * " + dim);
        }
        if (seeds == null || seeds.length != n) {
            throw new IllegalArgumentException("seeds must have length n = " + n + ", got "
                    + (seeds == null ? "null" : seeds.length));
        }
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("labels must be null or have length n = " + n + ", got " + labels.length);
        }
        if (noise != null && noise.length != n * dim) {
            throw new IllegalArgumentException("noise must have length n * dim = " + n * dim + ", got " + noise.length);
        }
    }
}
