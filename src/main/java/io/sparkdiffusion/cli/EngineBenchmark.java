package io.sparkdiffusion.cli;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.diffusion.EdmParameterization;
import io.sparkdiffusion.diffusion.sampling.SamplerKind;
import io.sparkdiffusion.diffusion.sampling.SamplerSettings;
import io.sparkdiffusion.nn.ParameterStore;
import io.sparkdiffusion.nn.optim.Adam;
import io.sparkdiffusion.nn.optim.AdamConfig;
import io.sparkdiffusion.nn.unet.UNet;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.model.UNetDenoiser;
import io.sparkdiffusion.spark.DiffusionModel;
import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import io.sparkdiffusion.tensor.kernels.Conv2d;
import io.sparkdiffusion.tensor.kernels.GroupNormSilu;
import io.sparkdiffusion.train.StepAllocation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Times the Java engine against the PyTorch twin on {@code unet-small} (1x28x28), one thread each:
 * (a) a training step (forward, MSE, backward, Adam) at {@code --batch} (default 64), (b) a sampling forward
 * pass on an inference tape at {@code --sample-batch} (default 256), each as the median of {@code --steps}
 * timed runs after {@code --warmup} untimed ones, (c) the sampler path users run: EDM Heun at its default 18
 * steps through {@code Sampler} and {@code UNetDenoiser} at {@code --sampler-batch} (default: DiffusionModel's
 * default sampleBatchSize), the median of {@code --sampler-repeats} whole batches, (d) when
 * {@code /usr/bin/python3 -c 'import torch'} works, the twin's training step and forward pass
 * ({@code torch_steps.py}, in this jar beside this class, importing the twin's network and timing what the twin's
 * own benchmark times) one twin step after each Java step of (a) and (b), so that both medians come from the same
 * minutes of a machine whose speed drifts (on the project's shared VM it moved by up to 30 % between runs minutes
 * apart), and the twin's Heun at the same batch, steps and noise grid ({@code torch_heun.py --serve}, also in the
 * jar), one twin batch after each Java batch of (c), and (e) unless {@code --no-spark},
 * {@code DiffusionModel.transform} end to end on {@code local[1]} and {@code local[2]} ({@code --spark-images}
 * images, default 64).
 *
 * <p>Output: an {@code engine} line first (the BLAS, the OpenBLAS kernel it runs, OPENBLAS_CORETYPE, and what
 * runs the 3x3 convolutions, {@code vector:N lanes} or {@code gemm}, and the fused GroupNorm+SiLU), then one JSON line per measurement
 * ({@code java_train_step}, {@code java_sample_forward}, {@code java_heun_sampler}, the twin's
 * {@code train_step}, {@code sample_forward} and {@code heun_sampler} lines tagged {@code "source":"torch"},
 * {@code java_transform} per master, {@code heap}), then a final line
 * <pre>
 * {"metric":"engine_vs_torch","java_train_ips":..,"torch_train_ips":..,"train_ratio":..,"java_sample_ips":..,
 *  "torch_sample_ips":..,"sample_ratio":..,"java_sampler_ips":..,"torch_sampler_ips":..,"sampler_ratio":..,
 *  "blas":".."}
 * </pre>
 * with images per second and ratio = Java / torch ({@code null} when torch did not run). Both Heun runs make
 * the Java sampler's own number of network evaluations ({@code SamplerSettings.evaluations()}, 35 for 18 steps),
 * counted in each run. The {@code heap} line
 * gives the JVM's max heap and the peak heap used (the sum of each heap pool's peak, an upper bound), so
 * running with {@code -Xmx2g} checks that training unet-small at batch 64 fits in 2 GiB.
 *
 * <p>Run from the repository root:
 * <pre>
 * mvn -o -q -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -Xmx2g &lt;the add-opens flags of the pom's jdk17.opens property&gt; \
 *      -cp target/classes:$(cat target/cp.txt) io.sparkdiffusion.cli.EngineBenchmark [options]
 * </pre>
 * Options: {@code --batch N} (64), {@code --sample-batch N} (256), {@code --steps N} (10), {@code --warmup N}
 * (2), {@code --num-classes N} (0), {@code --no-torch}, {@code --torch-script PATH} (default {@code $TORCH_UNET},
 * else {@code ../shared/reference/torch_unet.py}, else {@code ../../shared/reference/torch_unet.py}),
 * {@code --sampler-batch N}, {@code --sampler-repeats N} (5), {@code --no-spark}, {@code --spark-images N} (64).
 * {@code -Dsparkdiffusion.blas=java} forces the pure-Java BLAS.
 * Set {@code OPENBLAS_NUM_THREADS=1} for a one-thread comparison with native OpenBLAS.
 */
public final class EngineBenchmark {
    private static final String PYTHON = "/usr/bin/python3";
    private static final int IMG_CHANNELS = 1;
    private static final int IMG_RESOLUTION = 28;
    private static final double LEARNING_RATE = 1e-4; // the twin's
    /** EDM's CIFAR-10 sampler: heun with 18 levels, whose per-image cost is its denoiser evaluations. */
    private static final SamplerSettings HEUN_18 = SamplerSettings.defaults(SamplerKind.HEUN,
            EdmParameterization.defaults()).withNumSteps(18);

    /** The benchmark's settings, parsed once from the command line. */
    record Options(int batch, int sampleBatch, int steps, int warmup, int numClasses, boolean torch, Path torchScript,
                   int samplerBatch, int samplerRepeats, boolean spark, int sparkImages) {

        static Options parse(String[] args) {
            int batch = 64;
            int sampleBatch = 256;
            int steps = 10;
            int warmup = 2;
            int numClasses = 0;
            boolean torch = true;
            String script = System.getenv("TORCH_UNET") != null ? System.getenv("TORCH_UNET") : defaultTwinScript();
            int samplerBatch = DiffusionModel.DEFAULT_SAMPLE_BATCH_SIZE;
            int samplerRepeats = 5;
            boolean spark = true;
            int sparkImages = 64;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--batch" -> batch = positive(args, ++i);
                    case "--sample-batch" -> sampleBatch = positive(args, ++i);
                    case "--steps" -> steps = positive(args, ++i);
                    case "--warmup" -> warmup = nonNegative(args, ++i);
                    case "--num-classes" -> numClasses = nonNegative(args, ++i);
                    case "--no-torch" -> torch = false;
                    case "--torch-script" -> script = value(args, ++i);
                    case "--sampler-batch" -> samplerBatch = positive(args, ++i);
                    case "--sampler-repeats" -> samplerRepeats = positive(args, ++i);
                    case "--no-spark" -> spark = false;
                    case "--spark-images" -> sparkImages = positive(args, ++i);
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "; allowed: --batch, "
                            + "--sample-batch, --steps, --warmup, --num-classes, --no-torch, --torch-script, "
                            + "--sampler-batch, --sampler-repeats, --no-spark, --spark-images");
                }
            }
            return new Options(batch, sampleBatch, steps, warmup, numClasses, torch, Paths.get(script), samplerBatch,
                    samplerRepeats, spark, sparkImages);
        }

        /** {@code ../shared/reference/torch_unet.py} (the repository beside shared/), else one level further up (a worktree). */
        private static String defaultTwinScript() {
            String beside = "../shared/reference/torch_unet.py";
            String above = "../../shared/reference/torch_unet.py";
            return !Files.isRegularFile(Paths.get(beside)) && Files.isRegularFile(Paths.get(above)) ? above : beside;
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value");
            }
            return args[i];
        }

        private static int nonNegative(String[] args, int i) {
            String v = value(args, i);
            try {
                int n = Integer.parseInt(v);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException(args[i - 1] + " must be an integer >= 0, got " + v);
        }

        private static int positive(String[] args, int i) {
            int n = nonNegative(args, i);
            if (n == 0) {
                throw new IllegalArgumentException(args[i - 1] + " must be >= 1, got 0");
            }
            return n;
        }
    }

    private EngineBenchmark() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Options o = Options.parse(args);
        UNetConfig config = UNetConfig.small(IMG_CHANNELS, IMG_RESOLUTION, o.numClasses());
        UNet net = new UNet(config, 0);
        String blas = Gemm.implementation();
        String conv = Conv2d.stride1Implementation();
        System.out.println(json("metric", "params", "preset", "unet-small", "img", "[1, 28, 28]", "num_classes",
                o.numClasses(), "params", net.numParameters(), "blas", blas));
        System.out.println(json("metric", "engine", "blas", blas, "openblas_core", Gemm.isNative() ? openBlasCore() : null,
                "OPENBLAS_CORETYPE", System.getenv("OPENBLAS_CORETYPE"), "conv3x3", conv,
                "groupNormSilu", GroupNormSilu.implementation()));

        String[] heap = new String[1];
        Double torchTrainIps = null;
        Double torchSampleIps = null;
        Double torchSamplerIps = null;
        TwinSteps twin = o.torch() ? startTwin(o) : null;
        double javaTrainIps;
        double javaSampleIps;
        try {
            List<Double> twinTrain = new ArrayList<>();
            Steps train = timeTrainStep(net, o, heap, twinStep(twin, "train", twinTrain, answer -> { }));
            List<Double> trainSteps = train.seconds();
            double trainStep = median(trainSteps);
            double trainMib = train.allocatedMib();
            javaTrainIps = o.batch() / trainStep;
            System.out.println(json("metric", "java_train_step", "threads", 1, "batch", o.batch(), "num_classes",
                    o.numClasses(), "median_step_s", round(trainStep, 5), "images_per_s", round(javaTrainIps, 2),
                    "allocated_mib_per_step", round(trainMib, 1),
                    "blas", blas, "conv3x3", conv, "step_seconds", list(trainSteps)));
            warnIfBoxed("a training step", trainMib);
            if (twin != null) {
                double t = median(twinTrain);
                torchTrainIps = round(o.batch() / t, 2);
                System.out.println(json("source", "torch", "metric", "train_step", "threads", 1, "runtime", "tuned",
                        "batch", o.batch(), "num_classes", o.numClasses(), "median_step_s", round(t, 5),
                        "images_per_s", torchTrainIps, "interleaved", true, "step_seconds", list(twinTrain)));
            }

            List<Double> twinForward = new ArrayList<>();
            Steps sample = timeSampleForward(net, o, twinStep(twin, "forward", twinForward, answer -> { }));
            List<Double> forwards = sample.seconds();
            double forward = median(forwards);
            double forwardMib = sample.allocatedMib();
            javaSampleIps = o.sampleBatch() / forward;
            System.out.println(json("metric", "java_sample_forward", "threads", 1, "batch", o.sampleBatch(),
                    "num_classes", o.numClasses(), "median_forward_s", round(forward, 5), "images_per_s",
                    round(javaSampleIps, 2), "heun18_images_per_s", round(javaSampleIps / HEUN_18.evaluations(), 3),
                    "allocated_mib_per_step", round(forwardMib, 1),
                    "blas", blas, "conv3x3", conv, "step_seconds", list(forwards)));
            warnIfBoxed("a batch-" + o.sampleBatch() + " forward", forwardMib);
            if (twin != null) {
                double t = median(twinForward);
                torchSampleIps = round(o.sampleBatch() / t, 2);
                System.out.println(json("source", "torch", "metric", "sample_forward", "threads", 1, "runtime",
                        "tuned", "batch", o.sampleBatch(), "num_classes", o.numClasses(), "median_forward_s",
                        round(t, 5), "images_per_s", torchSampleIps, "heun18_images_per_s",
                        round(torchSampleIps / HEUN_18.evaluations(), 3), "interleaved", true, "step_seconds",
                        list(twinForward)));
            }
        } finally {
            if (twin != null) {
                twin.close();
            }
        }

        SamplerPath sampler = SamplerPath.unetSmall(o.numClasses(), o.samplerBatch(), HEUN_18);
        TwinSteps heunTwin = twin != null ? startTwinHeun(o, sampler) : null;
        List<Double> twinHeun = new ArrayList<>();
        List<Double> samplerSeconds;
        try {
            samplerSeconds = sampler.batchSeconds(o.samplerRepeats(),
                    twinStep(heunTwin, "heun", twinHeun, answer -> requireSameEvaluations(answer, sampler)));
        } finally {
            if (heunTwin != null) {
                heunTwin.close();
            }
        }
        double javaSamplerIps = o.samplerBatch() / median(samplerSeconds);
        System.out.println(json("metric", "java_heun_sampler", "threads", 1, "batch", o.samplerBatch(), "num_classes",
                o.numClasses(), "num_steps", sampler.settings().numSteps(), "network_evaluations",
                sampler.settings().evaluations(), "images_per_s", round(javaSamplerIps, 3),
                "rows_per_forward", UNetDenoiser.batched() ? o.samplerBatch() : 1, "conv3x3", conv,
                "batch_seconds", list(samplerSeconds)));
        if (heunTwin != null) {
            double t = median(twinHeun);
            torchSamplerIps = round(o.samplerBatch() / t, 3);
            System.out.println(json("source", "torch", "metric", "heun_sampler", "threads", 1, "batch",
                    o.samplerBatch(), "num_classes", o.numClasses(), "num_steps", sampler.settings().numSteps(),
                    "network_evaluations", sampler.settings().evaluations(), "median_batch_s", round(t, 5),
                    "images_per_s", torchSamplerIps, "interleaved", true, "batch_seconds", list(twinHeun)));
        }
        if (o.spark()) {
            SparkTransformBench.run(sampler, o.sparkImages());
        }
        System.out.println(heap[0]);
        System.out.println(json("metric", "engine_vs_torch",
                "java_train_ips", round(javaTrainIps, 2), "torch_train_ips", torchTrainIps,
                "train_ratio", torchTrainIps == null ? null : round(javaTrainIps / torchTrainIps, 4),
                "java_sample_ips", round(javaSampleIps, 2), "torch_sample_ips", torchSampleIps,
                "sample_ratio", torchSampleIps == null ? null : round(javaSampleIps / torchSampleIps, 4),
                "java_sampler_ips", round(javaSamplerIps, 3), "torch_sampler_ips", torchSamplerIps,
                "sampler_ratio", torchSamplerIps == null ? null : round(javaSamplerIps / torchSamplerIps, 4),
                "blas", blas, "conv3x3", conv));
    }

    /**
     * The twin's EDM Heun at the Java sampler's batch, steps and noise grid ({@code torch_heun.py --serve}, shipped
     * in this jar, imports the twin's network), ready to sample one batch per call, or null with a
     * {@code torch_skipped} line when it fails to start.
     */
    private static TwinSteps startTwinHeun(Options o, SamplerPath sampler) {
        var st = sampler.settings();
        try {
            return TwinSteps.start(PYTHON, "torch_heun.py", List.of("--twin", o.torchScript().toString(),
                    "--threads", "1", "--batch", Integer.toString(o.samplerBatch()),
                    "--num-steps", Integer.toString(st.numSteps()), "--sigma-min", Double.toString(st.sigmaMin()),
                    "--sigma-max", Double.toString(st.sigmaMax()), "--rho", Double.toString(st.rho()),
                    "--sigma-data", Double.toString(sampler.sigmaData()),
                    "--num-classes", Integer.toString(o.numClasses()), "--warmup", "1", "--serve"), line -> { });
        } catch (IOException e) {
            System.out.println(json("metric", "torch_skipped", "reason", "twin Heun failed to start: " + e.getMessage()));
            return null;
        }
    }

    /**
     * Checks a twin Heun batch's answer: the script counts its network evaluations, and a count other than the
     * Java sampler's is an error (the two runs would not be comparable).
     */
    private static void requireSameEvaluations(String answer, SamplerPath sampler) {
        Double evaluations = number(answer, "network_evaluations");
        int expected = sampler.settings().evaluations();
        if (evaluations == null || evaluations.intValue() != expected) {
            throw new IllegalStateException("the twin's Heun made " + evaluations + " network evaluations,"
                    + " the Java sampler " + expected + ": the two runs are not comparable");
        }
    }

    /**
     * Seconds of each timed training step (forward, MSE, backward, Adam, on one reused tape), {@code between}
     * after each. Leaves the heap line, measured while the training state is still alive, in {@code heapOut[0]}.
     */
    private static Steps timeTrainStep(UNet net, Options o, String[] heapOut, Runnable between) {
        ParameterStore params = net.parameters();
        Adam adam = new Adam(AdamConfig.of(LEARNING_RATE), net.numParameters());
        SplittableRandom random = new SplittableRandom(1);
        Tensor x = gaussian(Shape.of(o.batch(), IMG_CHANNELS, IMG_RESOLUTION, IMG_RESOLUTION), random);
        Tensor target = gaussian(x.shape(), random);
        float[] cNoise = gaussian(Shape.of(o.batch()), random).data();
        int[] labels = labels(o.batch(), o.numClasses(), random);
        Tape tape = new Tape();
        Steps steps = stepSeconds(o.warmup(), o.steps(), () -> {
            tape.reset();
            params.zeroGrads();
            Var loss = tape.mse(net.forward(tape, x, cNoise, labels), target);
            tape.backward(loss);
            adam.stepInPlace(params.values(), params.grads());
        }, between);
        heapOut[0] = heapLine(tape.allocatedFloats() + 4L * net.numParameters()); // weights, grads, m, v
        Reference.reachabilityFence(tape);
        Reference.reachabilityFence(adam);
        return steps;
    }

    /** Seconds of each timed sampling forward pass on an inference tape, {@code between} after each. */
    private static Steps timeSampleForward(UNet net, Options o, Runnable between) {
        SplittableRandom random = new SplittableRandom(2);
        Tensor x = gaussian(Shape.of(o.sampleBatch(), IMG_CHANNELS, IMG_RESOLUTION, IMG_RESOLUTION), random);
        float[] cNoise = gaussian(Shape.of(o.sampleBatch()), random).data();
        int[] labels = labels(o.sampleBatch(), o.numClasses(), random);
        Tape tape = Tape.inference();
        return stepSeconds(Math.min(1, o.warmup()), Math.max(1, o.steps() / 2), () -> {
            tape.reset();
            net.forward(tape, x, cNoise, labels);
        }, between);
    }

    /**
     * The kernel OpenBLAS picks in this environment ({@code openblas_get_corename()}, e.g. Haswell when
     * OPENBLAS_CORETYPE says so, Cooperlake when it detects AVX-512 itself), asked through Python's ctypes in a
     * child process with the same environment, since netlib's Java API does not expose it; null when that fails.
     */
    private static String openBlasCore() throws InterruptedException {
        String script = "import ctypes; f = ctypes.CDLL('libblas.so.3').openblas_get_corename; "
                + "f.restype = ctypes.c_char_p; print(f().decode())";
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", script).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(1, TimeUnit.MINUTES) && p.exitValue() == 0 && !out.isEmpty() ? out : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean pythonHasTorch() throws InterruptedException {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static Double number(String jsonLine, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*([-+0-9.eE]+)").matcher(jsonLine);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    /**
     * The heap after training: the max heap, the live heap after a full GC while the tape, weights, gradients
     * and Adam moments are still reachable (the working set training needs), the engine's own share of it
     * ({@code stateFloats}: tape buffers, weights, gradients, moments), and the peak used (the sum of each heap
     * pool's peak, an upper bound that includes garbage not yet collected).
     */
    private static String heapLine(long stateFloats) {
        System.gc();
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        long mib = 1L << 20;
        return json("metric", "heap", "after", "train_steps", "max_heap_mib", Runtime.getRuntime().maxMemory() / mib,
                "live_after_gc_mib", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / mib,
                "train_state_mib", stateFloats * 4 / mib, "peak_heap_used_mib", peak / mib);
    }

    /**
     * Wall seconds of each timed run of {@code step} after {@code warmup} untimed ones, and the median MiB this
     * thread allocated per timed run; {@code between} (untimed, may be null) runs after each timed run.
     */
    private static Steps stepSeconds(int warmup, int steps, Runnable step, Runnable between) {
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        List<Double> times = new ArrayList<>();
        List<Double> allocated = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            long a0 = StepAllocation.allocatedBytes();
            long t0 = System.nanoTime();
            step.run();
            times.add((System.nanoTime() - t0) / 1e9);
            allocated.add((StepAllocation.allocatedBytes() - a0) / (double) (1L << 20));
            if (between != null) {
                between.run();
            }
        }
        return new Steps(times, median(allocated));
    }

    /** Timed steps: the seconds of each and the median MiB the benchmark's thread allocated per step. */
    private record Steps(List<Double> seconds, double allocatedMib) {
    }

    /**
     * A healthy step allocates about a megabyte (the tape reuses its buffers). Hundreds of megabytes mean C2
     * compiled this JVM's vector kernels with boxed vectors, which lasts for the JVM's life and makes every figure
     * 3 to 10 times slower: said on stderr, so that such a run is not read as the engine's speed.
     */
    private static void warnIfBoxed(String what, double mibPerStep) {
        String warning = boxedWarning(what, mibPerStep);
        if (warning != null) {
            System.err.println(warning);
        }
    }

    /** The warning {@link #warnIfBoxed} prints for {@code mibPerStep}, or {@code null} for a healthy step. */
    static String boxedWarning(String what, double mibPerStep) {
        if (mibPerStep > BOXED_MIB_PER_STEP) {
            return String.format(Locale.ROOT, "bench: %s allocated %.0f MiB per step (a healthy JVM: about 1): this JVM"
                    + " runs the vector kernels with boxed vectors (a JDK 17 C2 compilation that lasts for the JVM's"
                    + " life); its timings are not the engine's, run the benchmark again", what, mibPerStep);
        }
        return null;
    }

    /** Above this many MiB per step a step's vectors are boxed (healthy: 0.6 to 1; boxed: gigabytes). */
    private static final double BOXED_MIB_PER_STEP = 100;

    /** The upper median, as both engines' numbers are taken. */
    private static double median(List<Double> times) {
        List<Double> sorted = new ArrayList<>(times);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    /** [t1, t2, ...] in seconds to 4 digits, for a JSON line. */
    private static String list(List<Double> seconds) {
        return "[" + String.join(", ", seconds.stream().map(t -> String.format(Locale.ROOT, "%.4f", t)).toList()) + "]";
    }

    /**
     * One twin step of {@code op}, its answer given to {@code check} and its seconds appended to {@code times}: the
     * hook between Java steps; null without a twin.
     */
    private static Runnable twinStep(TwinSteps twin, String op, List<Double> times, Consumer<String> check) {
        if (twin == null) {
            return null;
        }
        return () -> {
            try {
                double seconds = twin.step(op);
                check.accept(twin.lastAnswer());
                times.add(seconds);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /**
     * The twin, stepped beside the Java engine ({@link TwinSteps}), or null with a {@code torch_skipped} line when
     * there is no twin script, no torch, or the twin fails to start.
     */
    private static TwinSteps startTwin(Options o) throws InterruptedException {
        if (!Files.isRegularFile(o.torchScript())) {
            System.out.println(json("metric", "torch_skipped", "reason", "no twin script at " + o.torchScript().toAbsolutePath()
                    + " (use --torch-script PATH or TORCH_UNET)"));
            return null;
        }
        if (!pythonHasTorch()) {
            System.out.println(json("metric", "torch_skipped", "reason", PYTHON + " cannot import torch"));
            return null;
        }
        try {
            return TwinSteps.start(PYTHON, o.torchScript(), o.batch(), o.sampleBatch(), o.numClasses(), o.warmup(),
                    line -> System.out.println(line.replaceFirst("^\\{", "{\"source\": \"torch\", ")));
        } catch (IOException e) {
            System.out.println(json("metric", "torch_skipped", "reason", "twin failed to start: " + e.getMessage()));
            return null;
        }
    }

    private static Tensor gaussian(Shape shape, SplittableRandom random) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) {
            double u = 1 - random.nextDouble();
            t.set(i, (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble())));
        }
        return t;
    }

    private static int[] labels(int n, int numClasses, SplittableRandom random) {
        if (numClasses == 0) {
            return null;
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(numClasses);
        }
        return labels;
    }

    private static Double round(double v, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(v * scale) / scale;
    }

    /** A flat JSON object from alternating keys and values (strings quoted, numbers and null as is). */
    private static String json(Object... kv) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append('"').append(kv[i]).append("\":");
            Object v = kv[i + 1];
            if (v == null || v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else if (v instanceof String s && s.startsWith("[")) {
                sb.append(s);
            } else {
                sb.append('"').append(v.toString().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return sb.append('}').toString();
    }

    static {
        Locale.setDefault(Locale.ROOT);
    }
}
