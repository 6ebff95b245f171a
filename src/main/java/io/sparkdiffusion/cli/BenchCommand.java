package io.sparkdiffusion.cli;

import java.util.Arrays;
import java.util.Map;

/**
 * {@code bench}: the engine benchmark ({@link EngineBenchmark}), with its arguments passed through unchanged.
 * Spark only for its last part, an embedded {@code DiffusionModel.transform}.
 */
public final class BenchCommand implements Command {

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "time the denoiser engine (U-Net training step, forward, Heun sampler) against PyTorch on this machine";
    }

    @Override
    public String help() {
        return """
                Usage: ./submit.sh bench [benchmark args]

                Runs the engine benchmark (io.sparkdiffusion.cli.EngineBenchmark) in this JVM: a training step
                (forward, loss, backward, Adam), a sampling forward pass and the sampler path users run (EDM Heun,
                18 steps, through Sampler and the U-Net denoiser at the default sampleBatchSize) on unet-small with
                1x28x28 images, one BLAS thread (OPENBLAS_NUM_THREADS=1, as each Spark task has), the PyTorch twin's
                timings (training, forward, Heun) when /usr/bin/python3 has torch, and DiffusionModel.transform end
                to end on an embedded Spark, local[1] and local[2] (driver on 127.0.0.1). Prints one JSON line per
                measurement. Arguments after "bench" go to the benchmark unchanged: --batch N (64),
                --sample-batch N (256), --steps N (10), --warmup N (2), --num-classes N (0), --no-torch,
                --torch-script PATH, --sampler-batch N, --sampler-repeats N (5), --no-spark, --spark-images N (64).

                Examples:
                  ./submit.sh bench
                  ./submit.sh bench --no-torch --steps 5
                  JAVA_OPTS=-Xmx2g ./submit.sh bench --batch 64 --num-classes 10
                """;
    }

    /** bench passes its arguments on untouched; only a leading --help is ours. */
    @Override
    public Args parseArgs(String[] rest) {
        boolean help = rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h"));
        return new Args(Arrays.asList(rest), Map.of(), help);
    }

    @Override
    public int run(Args args) throws Exception {
        EngineBenchmark.main(args.positional().toArray(String[]::new));
        return 0;
    }
}
