package io.sparkdiffusion.tensor.kernels;

import java.util.Locale;

/**
 * The choice, made once per kernel family from its system property, between the family's Vector API kernels and
 * its fallback. {@code auto} (the default) takes the vector kernels when the JVM has loaded the module
 * {@code jdk.incubator.vector} ({@code --add-modules=jdk.incubator.vector}) and vectors hold at least 8 floats;
 * {@code vector} insists, and fails without the module; the fallback's name picks the fallback. The choice and
 * why are logged once: no silent fallback. A JVM that takes the vector kernels without the JIT option they need
 * ({@link TrapLimit}) also logs a warning, once.
 */
final class VectorChoice {
    /** Fewer floats per vector than this (SSE only) and the vector kernels are not worth it. */
    private static final int MIN_LANES = 8;

    private VectorChoice() {
    }

    /** True when the module is in the boot layer; only then may a class that uses the Vector API be loaded. */
    static boolean moduleLoaded() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * Reads {@code property} (auto, vector, or {@code fallback}) and logs the result as
     * {@code spark-diffusion <family>: <engine> (<why>) (<property>=<mode>)}.
     *
     * @param family      what the kernels compute, for the log ("stride-1 convolutions")
     * @param fallback    the other engine's name ("gemm")
     * @param fallbackHow what the fallback does, for the log ("one BLAS sgemm per kernel tap")
     * @return true for the vector kernels
     */
    static boolean useVector(String property, String family, String fallback, String fallbackHow) {
        return useVector(property, family, fallback, fallbackHow, null);
    }

    /**
     * As {@link #useVector(String, String, String, String)}, where the value {@code variant} (not null) is one
     * more way of saying {@code vector}: a finer choice among the vector kernels that their own code reads.
     */
    static boolean useVector(String property, String family, String fallback, String fallbackHow, String variant) {
        String mode = System.getProperty(property, "auto").trim().toLowerCase(Locale.ROOT);
        boolean loaded = moduleLoaded();
        boolean vector;
        String why;
        if (mode.equals(fallback)) {
            vector = false;
            why = fallbackHow;
        } else if (mode.equals("vector") || mode.equals(variant)) {
            if (!loaded) {
                throw new IllegalStateException(property + "=vector needs the JVM option "
                        + "--add-modules=jdk.incubator.vector, which this JVM was started without");
            }
            vector = true;
            why = "Vector API, " + VectorConv.LANES + " floats per vector";
        } else if (mode.equals("auto")) {
            if (!loaded) {
                vector = false;
                why = fallbackHow + "; start the JVM with --add-modules=jdk.incubator.vector for the vector kernels";
            } else if (VectorConv.LANES < MIN_LANES) {
                vector = false;
                why = fallbackHow + "; vectors here hold only " + VectorConv.LANES + " floats";
            } else {
                vector = true;
                why = "Vector API, " + VectorConv.LANES + " floats per vector";
            }
        } else {
            throw new IllegalArgumentException(property + " must be one of auto, vector, "
                    + (variant == null ? "" : variant + ", ") + fallback + "; got '" + mode + "'");
        }
        System.getLogger(VectorChoice.class.getName()).log(System.Logger.Level.INFO, "spark-diffusion " + family
                + ": " + (vector ? "vector" : fallback) + " (" + why + ") (" + property + "=" + mode + ")");
        if (vector) {
            TrapLimit.logOnce();
        }
        return vector;
    }
}
