package io.sparkdiffusion.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code bench}: the engine benchmark ({@code io.sparkdiffusion.cli.EngineBenchmark}), with its arguments
 * passed through unchanged. No Spark.
 */
public final class BenchCommand implements Command {
    static final String BENCHMARK_CLASS = "io.sparkdiffusion.cli.EngineBenchmark";

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "time the denoiser engine (U-Net forward/backward, BLAS) on this machine, no Spark";
    }

    @Override
    public String help() {
        return """
                Usage: ./submit.sh bench [benchmark args]

                Runs the engine benchmark (%s) in this JVM, without Spark: forward and
                backward passes of the U-Net and the BLAS in use, with one BLAS thread (OPENBLAS_NUM_THREADS=1, as
                each Spark task has). Arguments after "bench" go to the benchmark unchanged.

                Examples:
                  ./submit.sh bench
                  JAVA_OPTS=-Xmx4g ./submit.sh bench
                """.formatted(BENCHMARK_CLASS);
    }

    /** bench passes its arguments on untouched; only a leading --help is ours. */
    static Args passThrough(String[] rest) {
        boolean help = rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h"));
        return new Args(Arrays.asList(rest), Map.of(), help);
    }

    @Override
    public int run(Args args) throws Exception {
        Class<?> benchmark;
        try {
            // Looked up by name so that the command line builds without the engine benchmark.
            benchmark = Class.forName(BENCHMARK_CLASS);
        } catch (ClassNotFoundException e) {
            throw new UsageException("bench needs " + BENCHMARK_CLASS + ", which is not in this build"
                    + " (it comes with the engine benchmark; rebuild after merging it)");
        }
        Method main = benchmark.getMethod("main", String[].class);
        List<String> passed = args.positional();
        try {
            main.invoke(null, (Object) passed.toArray(String[]::new));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
        return 0;
    }
}
