package io.sparkdiffusion.tensor.kernels;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;

/**
 * The JVM option the Vector API kernels need on JDK 17: {@code -XX:PerMethodTrapLimit=100000} (the JDK's default
 * is 100). Without it some JVMs compile the kernels with boxed vectors and run 3 to 10 times slower, allocating
 * gigabytes per training step, for their whole life; which JVMs depends on the order in which the JIT compiles
 * things, so a restart usually helps and the next run may be hit again.
 *
 * <p>Why: before the kernels are compiled, their Vector API calls run as real calls, and C2 compiles the API's
 * shared methods ({@code VectorOperators$ImplCache.find}, {@code VectorOperators.opKind},
 * {@code Float512Vector.lanewise}, {@code VectorSupport.binaryOp}) on their own, guessing from the profile so far
 * which operator or lambda class they see. A later class (another kind of operator, say) takes the guard's
 * uncommon trap, and the trap is counted in that shared method's profile. When C2 then compiles a kernel, it adds
 * up those counts over every copy of the shared methods it inlines (hundreds in a product block: 144 class-check
 * traps in one compile of {@code VectorConv.productBlockWide}); past {@code PerMethodTrapLimit} it stops trusting
 * type profiles for the whole compile and gives every profiled call a virtual-call fallback, which needs the
 * vector boxed: the Vector API intrinsics then fail and every vector operation allocates. A higher limit keeps
 * C2's judgement per call site (a site that has trapped itself still gets its fallback). Measured with
 * {@code -XX:+LogCompilation} (2026-12-05): a build that boxed in 3 of 3 JVMs (29 GB per unet-small step) ran
 * healthy in 3 of 3 with this option (0.8 MB per step).
 *
 * <p>{@code submit.sh} (embedded run), {@code conf/spark-defaults.conf} (driver and executors) and the build's
 * test JVMs set it; a JVM without it logs a warning when it loads the vector kernels, and training names such
 * executors ({@code EngineReport}).
 */
public final class TrapLimit {
    /** The value the kernels need. */
    public static final long REQUIRED = 100_000;
    /** The option that sets it. */
    public static final String OPTION = "-XX:PerMethodTrapLimit=" + REQUIRED;

    private TrapLimit() {
    }

    /** This JVM's {@code PerMethodTrapLimit}, or -1 when the JVM does not say (not HotSpot). */
    public static long current() {
        String value = vmOption("PerMethodTrapLimit");
        return value == null ? -1 : Long.parseLong(value);
    }

    /**
     * The current value of this JVM's HotSpot option {@code name} ({@code -XX:name=...}) as HotSpot prints it
     * ({@code true}/{@code false} for a flag), or null when the JVM has no such option or is not HotSpot.
     */
    public static String vmOption(String name) {
        HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (bean == null) {
            return null;
        }
        try {
            return bean.getVMOption(name).getValue();
        } catch (IllegalArgumentException e) { // no such option in this JVM
            return null;
        }
    }

    /**
     * The warning for a JVM that runs the vector kernels with {@code limit} (from {@link #current()}), or null when
     * the limit is high enough or unknown (-1: not a HotSpot JVM, which has no such C2).
     */
    public static String warning(long limit) {
        if (limit < 0 || limit >= REQUIRED) {
            return null;
        }
        return "this JVM runs the Vector API kernels with -XX:PerMethodTrapLimit=" + limit + " (the JDK's default is "
                + "100); start it with " + OPTION + " (submit.sh and conf/spark-defaults.conf do: "
                + "spark.driver.extraJavaOptions, spark.executor.extraJavaOptions), or its JIT may compile the kernels "
                + "with boxed vectors, 3 to 10 times slower for the JVM's life";
    }

    private static boolean logged;

    /** Logs {@link #warning(long)} for this JVM once, when a kernel family chooses the vector kernels. */
    static synchronized void logOnce() {
        if (logged) {
            return;
        }
        logged = true;
        String warning = warning(current());
        if (warning != null) {
            System.getLogger(TrapLimit.class.getName()).log(System.Logger.Level.WARNING, "spark-diffusion: " + warning);
        }
    }
}
