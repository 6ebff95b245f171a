package io.sparkdiffusion.diffusion;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Time-step discretizations (Karras et al. 2022, Table 1 "Sampling", and {@code ablation_sampler} of NVlabs/edm).
 * Each defines {@code numSteps} noise levels {@code sigma_0 > ... > sigma_{N-1}} between {@code sigmaMax} and
 * {@code sigmaMin}; the times are {@code t_i = sigmaInv(sigma_i)} of the chosen parameterization, plus
 * {@code t_N = 0}. With {@code numSteps = 1} the single level is {@code sigmaMax}.
 */
public enum TimeGrid {
    /** The parameterization's own grid ({@link Parameterization#defaultTimeGrid()}). */
    DEFAULT("default"),
    /** {@code sigma_i = (sigmaMax^(1/rho) + i/(N-1) (sigmaMin^(1/rho) - sigmaMax^(1/rho)))^rho} (Eq. 5). */
    EDM("edm"),
    /**
     * VP: {@code t'_i = 1 + i/(N-1) (epsilonS - 1)}, {@code sigma_i = sigmaVp(t'_i)} with {@code betaD, betaMin}
     * fitted so that {@code sigmaVp(1) = sigmaMax} and {@code sigmaVp(epsilonS) = sigmaMin}, {@code epsilonS = 1e-3}.
     */
    VP("vp"),
    /** VE: geometric, {@code sigma_i^2 = sigmaMax^2 (sigmaMin^2 / sigmaMax^2)^(i/(N-1))}. */
    VE("ve"),
    /**
     * Uniform in {@code t}: {@code t_i = tMax (1 - i/N)}, {@code i = 0..N}, {@code tMax = sigmaInv(sigmaMax)}, reaching
     * 0 by itself; {@code sigmaMin} is not used. The rectified-flow grid.
     */
    UNIFORM("uniform");

    /** {@code epsilon_s} of the VP grid (NVlabs/edm ablation_sampler). */
    static final double VP_EPSILON_S = 1e-3;

    private final String id;

    TimeGrid(String id) {
        this.id = id;
    }

    /** The name used at the edges. */
    public String id() {
        return id;
    }

    /**
     * The {@code numSteps + 1} decreasing times of this grid for {@code p}, the last one 0.
     *
     * @throws IllegalArgumentException if {@code numSteps < 1} or the sigma range is not {@code 0 < sigmaMin < sigmaMax}
     */
    public double[] timeSteps(Parameterization p, int numSteps, double sigmaMin, double sigmaMax, double rho) {
        if (numSteps < 1) {
            throw new IllegalArgumentException("numSteps must be >= 1, got " + numSteps);
        }
        Checks.sigmaRange(sigmaMin, sigmaMax);
        Checks.positive("rho", rho);
        double[] t = new double[numSteps + 1];
        if (this == UNIFORM) {
            double tMax = p.sigmaInv(sigmaMax);
            for (int i = 0; i < numSteps; i++) {
                t[i] = tMax * (1.0 - (double) i / numSteps);
            }
            return t;
        }
        if (this == DEFAULT) {
            return p.defaultTimeGrid().timeSteps(p, numSteps, sigmaMin, sigmaMax, rho);
        }
        for (int i = 0; i < numSteps; i++) {
            double frac = numSteps == 1 ? 0.0 : (double) i / (numSteps - 1);
            t[i] = p.sigmaInv(sigmaAt(frac, sigmaMin, sigmaMax, rho));
        }
        return t;
    }

    private double sigmaAt(double frac, double sigmaMin, double sigmaMax, double rho) {
        return switch (this) {
            case EDM -> {
                double a = Math.pow(sigmaMax, 1.0 / rho);
                double b = Math.pow(sigmaMin, 1.0 / rho);
                yield Math.pow(a + frac * (b - a), rho);
            }
            case VE -> sigmaMax * Math.pow(sigmaMin / sigmaMax, frac);
            case VP -> {
                double eps = VP_EPSILON_S;
                double lnMax = Math.log1p(sigmaMax * sigmaMax);
                double betaD = 2.0 * (Math.log1p(sigmaMin * sigmaMin) / eps - lnMax) / (eps - 1.0);
                double betaMin = lnMax - 0.5 * betaD;
                double tv = 1.0 + frac * (eps - 1.0);
                yield Math.sqrt(Math.expm1(0.5 * betaD * tv * tv + betaMin * tv));
            }
            case DEFAULT, UNIFORM -> throw new IllegalStateException("no sigma formula for " + this);
        };
    }

    /**
     * Parses {@code "default", "edm", "vp", "ve", "uniform"} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static TimeGrid parse(String name) {
        if (name != null) {
            String key = name.trim().toLowerCase(Locale.ROOT);
            for (TimeGrid grid : values()) {
                if (grid.id.equals(key)) {
                    return grid;
                }
            }
        }
        throw new IllegalArgumentException("timeGrid must be one of "
                + Arrays.stream(values()).map(TimeGrid::id).collect(Collectors.joining(", ", "[", "]"))
                + ", got '" + name + "'");
    }
}
