package io.sparkdiffusion.diffusion;

import java.util.Arrays;

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
     * fitted so that {@code sigmaVp(1) = sigmaMax} and {@code sigmaVp(epsilonS) = sigmaMin}; {@code epsilonS} is the
     * parameterization's ({@link VpParameterization#epsilonS()}), 1e-3 for the others (ablation_sampler's default).
     */
    VP("vp"),
    /** VE: geometric, {@code sigma_i^2 = sigmaMax^2 (sigmaMin^2 / sigmaMax^2)^(i/(N-1))}. */
    VE("ve"),
    /**
     * iDDPM (Nichol and Dhariwal 2021, cosine schedule, as in Karras et al. 2022 Table 1): the {@code M + 1 = 1001}
     * levels {@code u_M = 0}, {@code u_{j-1} = sqrt((u_j^2 + 1) / max(abar(j-1) / abar(j), C1) - 1)} with
     * {@code abar(j) = sin(pi/2 j / (M (C2 + 1)))^2}, {@code C1 = 0.001}, {@code C2 = 0.008}, kept where
     * {@code sigmaMin <= u_j <= sigmaMax}, then {@code N} of them at indices {@code round(i (K - 1) / (N - 1))}.
     */
    IDDPM("iddpm"),
    /**
     * Uniform in {@code t}: {@code t_i = tMax (1 - i/N)}, {@code i = 0..N}, {@code tMax = sigmaInv(sigmaMax)}, reaching
     * 0 by itself; {@code sigmaMin} is not used. The rectified-flow grid.
     */
    UNIFORM("uniform");

    /** {@code epsilon_s} of the VP grid for parameterizations without one (NVlabs/edm ablation_sampler's default). */
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
        if (this == IDDPM) {
            double[] u = iddpmLevels(sigmaMin, sigmaMax);
            for (int i = 0; i < numSteps; i++) {
                int index = numSteps == 1 ? 0 : (int) Math.rint((double) (u.length - 1) / (numSteps - 1) * i);
                t[i] = p.sigmaInv(u[index]);
            }
            return t;
        }
        for (int i = 0; i < numSteps; i++) {
            double frac = numSteps == 1 ? 0.0 : (double) i / (numSteps - 1);
            t[i] = p.sigmaInv(sigmaAt(frac, sigmaMin, sigmaMax, rho, epsilonS(p)));
        }
        return t;
    }

    private static final int IDDPM_M = 1000;
    private static final double IDDPM_C1 = 0.001;
    private static final double IDDPM_C2 = 0.008;

    /** The iDDPM levels within [sigmaMin, sigmaMax], decreasing. */
    private static double[] iddpmLevels(double sigmaMin, double sigmaMax) {
        double[] u = new double[IDDPM_M + 1];
        for (int j = IDDPM_M; j > 0; j--) {
            double ratio = Math.max(alphaBar(j - 1) / alphaBar(j), IDDPM_C1);
            u[j - 1] = Math.sqrt((u[j] * u[j] + 1.0) / ratio - 1.0);
        }
        double[] kept = java.util.Arrays.stream(u).filter(v -> v >= sigmaMin && v <= sigmaMax).toArray();
        if (kept.length == 0) {
            throw new IllegalArgumentException("no iDDPM noise level lies in [sigmaMin = " + sigmaMin
                    + ", sigmaMax = " + sigmaMax + "]; the levels span [" + u[IDDPM_M - 1] + ", " + u[0] + "]");
        }
        return kept;
    }

    private static double alphaBar(int j) {
        double s = Math.sin(0.5 * Math.PI * j / IDDPM_M / (IDDPM_C2 + 1.0));
        return s * s;
    }

    /** The {@code epsilon_s} of the VP grid for {@code p}. */
    private static double epsilonS(Parameterization p) {
        return p instanceof VpParameterization vp ? vp.epsilonS() : VP_EPSILON_S;
    }

    private double sigmaAt(double frac, double sigmaMin, double sigmaMax, double rho, double epsilonS) {
        return switch (this) {
            case EDM -> {
                double a = Math.pow(sigmaMax, 1.0 / rho);
                double b = Math.pow(sigmaMin, 1.0 / rho);
                yield Math.pow(a + frac * (b - a), rho);
            }
            case VE -> sigmaMax * Math.pow(sigmaMin / sigmaMax, frac);
            case VP -> {
                double eps = epsilonS;
                double lnMax = Math.log1p(sigmaMax * sigmaMax);
                double betaD = 2.0 * (Math.log1p(sigmaMin * sigmaMin) / eps - lnMax) / (eps - 1.0);
                double betaMin = lnMax - 0.5 * betaD;
                double tv = 1.0 + frac * (eps - 1.0);
                yield Math.sqrt(Math.expm1(0.5 * betaD * tv * tv + betaMin * tv));
            }
            case DEFAULT, UNIFORM, IDDPM -> throw new IllegalStateException("no sigma formula for " + this);
        };
    }

    /**
     * Parses {@code "default", "edm", "vp", "ve", "iddpm", "uniform"} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static TimeGrid parse(String name) {
        return SettingIds.parse("timeGrid", values(), TimeGrid::id, name);
    }
}
