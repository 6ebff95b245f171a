package io.sparkdiffusion.autograd;

import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Throwaway speed probe, not a unit test: the unet-small forward + backward (no optimizer) built directly on the
 * tape, timed per step, with a per-op profile. Run: {@code ./probe.sh unet [BATCH=64] [STEPS=10] [inference]}
 * (README, "Measurement probes"); {@code ./probe.sh unet 64 20 unfused} (or {@code inference-unfused})
 * alternates the steps between the fused GroupNorm-SiLU convolutions and the two ops (each on a tape of its own, no profile), so that the VM's drift
 * falls on both alike; {@code unfused-upsample} (or {@code inference-unfused-upsample}) alternates the upsampling
 * blocks' one op ({@code upsampleNearest2xConv3x3}) with upsampling followed by the convolution.
 */
public final class UNetBench {
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();
    private final float[] params = new float[3_000_000];
    private final float[] grads = new float[3_000_000];
    private final List<int[]> shapes = new ArrayList<>();
    private int used;
    private int cursor;
    private final SplittableRandom rng = new SplittableRandom(0);
    private Tape tape;
    private boolean building = true;
    /** False: GroupNorm-SiLU and the 3x3 convolution after it as two ops (the A/B of "unfused"). */
    private boolean fused = true;
    /** False: the upsampling block as upsampling then a 3x3 convolution (the A/B of "unfused-upsample"). */
    private boolean upsampleFused = true;

    private Var param(int... dims) {
        int size = Shape.of(dims).size();
        if (building) {
            for (int i = 0; i < size; i++) {
                params[used + i] = (float) ((rng.nextDouble() - 0.5) * 0.1);
            }
            used += size;
        }
        Var v = tape.parameter(new Tensor(params, cursor, Shape.of(dims)), new Tensor(grads, cursor, Shape.of(dims)));
        cursor += size;
        return v;
    }

    private Var gn(Var x) {
        int c = x.shape().dim(1);
        Var gamma = param(c);
        Var beta = param(c);
        return t("groupNorm", () -> tape.groupNorm(x, gamma, beta, Math.min(32, c / 4), 1e-5f));
    }

    private Var conv(Var x, int cout, int k, int stride) {
        return conv(x, cout, k, stride, null, null);
    }

    /**
     * A convolution, with the embedding's shift {@code e} or the residual join {@code s (conv + r)} fused in as
     * ResBlock and AttentionBlock run them (profiled under the convolution's name plus " +e" or " +r").
     */
    private Var conv(Var x, int cout, int k, int stride, Var e, Var r) {
        int cin = x.shape().dim(1);
        Var w = param(cout, cin, k, k);
        Var b = param(cout);
        String name = "conv" + k + "x" + k + " s" + stride + " " + cin + "->" + cout + " @" + x.shape().dim(2);
        float s = (float) (1 / Math.sqrt(2));
        if (e != null) {
            return t(name + " +e", () -> tape.conv2dAddPerChannel(x, w, b, stride, k / 2, e));
        }
        if (r != null) {
            return t(name + " +r", () -> tape.conv2dAddScaled(x, w, b, stride, k / 2, r, s));
        }
        return t(name, () -> tape.conv2d(x, w, b, stride, k / 2));
    }

    /**
     * {@code conv3x3(silu(groupNorm(x)))} as one op ({@code groupNormSiluConv2d}, fused where the convolution runs on the
     * vector shifted products), with e or the residual join r as {@link #conv}; as ResBlock and the U-Net output
     * run it, profiled under "gn+" and the convolution's name (the normalization's time included).
     */
    private Var normConv(Var x, int cout, Var e, Var r) {
        int cin = x.shape().dim(1);
        int groups = Math.min(32, cin / 4);
        Var gamma = param(cin);
        Var beta = param(cin);
        Var w = param(cout, cin, 3, 3);
        Var b = param(cout);
        String name = "gn+conv3x3 s1 " + cin + "->" + cout + " @" + x.shape().dim(2);
        float s = (float) (1 / Math.sqrt(2));
        if (!fused) {
            Var h = t("groupNormSilu", () -> tape.groupNormSilu(x, gamma, beta, groups, 1e-5f));
            if (e != null) {
                return t(name + " +e", () -> tape.conv2dAddPerChannel(h, w, b, 1, 1, e));
            }
            if (r != null) {
                return t(name + " +r", () -> tape.conv2dAddScaled(h, w, b, 1, 1, r, s));
            }
            return t(name, () -> tape.conv2d(h, w, b, 1, 1));
        }
        if (e != null) {
            return t(name + " +e", () -> tape.groupNormSiluConv2dAddPerChannel(x, gamma, beta, groups, 1e-5f, w, b,
                    1, 1, e));
        }
        if (r != null) {
            return t(name + " +r", () -> tape.groupNormSiluConv2dAddScaled(x, gamma, beta, groups, 1e-5f, w, b, 1,
                    1, r, s));
        }
        return t(name, () -> tape.groupNormSiluConv2d(x, gamma, beta, groups, 1e-5f, w, b, 1, 1));
    }

    private Var res(Var x, Var emb, int cout) {
        int cin = x.shape().dim(1);
        Var e = tape.linear(emb, param(cout, 128), param(cout));
        Var h = normConv(x, cout, e, null);
        Var skip = cin != cout ? conv(x, cout, 1, 1) : x;
        return normConv(h, cout, null, skip);
    }

    private Var attn(Var x) {
        int c = x.shape().dim(1);
        Var a = att(conv(gn(x), 3 * c, 1, 1));
        return conv(a, c, 1, 1, null, x);
    }

    /** Forward thread CPU nanoseconds per op kind (and conv shape), summed over the timed steps. */
    private static final java.util.Map<String, Long> FORWARD_NS = new java.util.TreeMap<>();
    /** Backward thread CPU nanoseconds per op kind, the same keys (each op's recorded closure, timed). */
    private static final java.util.Map<String, Long> BACKWARD_NS = new java.util.TreeMap<>();
    private static boolean timing;

    private Var t(String name, java.util.function.Supplier<Var> op) {
        long t0 = CPU.getCurrentThreadCpuTime();
        Var v = op.get();
        if (timing) {
            FORWARD_NS.merge(name, CPU.getCurrentThreadCpuTime() - t0, Long::sum);
            Runnable backward = v.backward;
            if (backward != null) {
                v.backward = () -> {
                    long b0 = CPU.getCurrentThreadCpuTime();
                    backward.run();
                    BACKWARD_NS.merge(name, CPU.getCurrentThreadCpuTime() - b0, Long::sum);
                };
            }
        }
        return v;
    }

    private Var silu(Var x) {
        return t("silu", () -> tape.silu(x));
    }

    private Var cat(Var a, Var b) {
        return t("concat", () -> tape.concatChannels(a, b));
    }

    /** The upsampling block: one op (as nn.Upsample runs it), or upsampling then the convolution (the A/B). */
    private Var upConv(Var a) {
        int c = a.shape().dim(1);
        if (!upsampleFused) {
            Var u = t("upsample", () -> tape.upsampleNearest2x(a));
            return conv(u, c, 3, 1);
        }
        Var w = param(c, c, 3, 3);
        Var b = param(c);
        return t("up+conv3x3 " + c + "->" + c + " @" + a.shape().dim(2) + "->" + 2 * a.shape().dim(2),
                () -> tape.upsampleNearest2xConv3x3(a, w, b));
    }

    private Var att(Var a) {
        return t("attention", () -> tape.attention(a));
    }

    Var forward(Var x, Tensor posEmb) {
        cursor = 0;
        Var emb = silu(tape.linear(tape.constant(posEmb), param(128, 32), param(128)));
        emb = silu(tape.linear(emb, param(128, 128), param(128)));
        Var h = conv(x, 32, 3, 1);
        List<Var> skips = new ArrayList<>();
        skips.add(h);
        int[] mult = {1, 2, 2};
        for (int level = 0; level < 3; level++) {
            for (int r = 0; r < 2; r++) {
                h = res(h, emb, 32 * mult[level]);
                if (level == 2) {
                    h = attn(h);
                }
                skips.add(h);
            }
            if (level != 2) {
                h = conv(h, h.shape().dim(1), 3, 2);
                skips.add(h);
            }
        }
        h = attn(res(h, emb, 64));
        h = res(h, emb, 64);
        for (int level = 2; level >= 0; level--) {
            for (int r = 0; r < 3; r++) {
                h = res(cat(h, skips.remove(skips.size() - 1)), emb, 32 * mult[level]);
                if (level == 2) {
                    h = attn(h);
                }
            }
            if (level != 0) {
                h = upConv(h);
            }
        }
        building = false;
        return normConv(h, 1, null, null);
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String mode = args.length > 2 ? args[2] : "";
        boolean inference = mode.startsWith("inference");
        boolean alternate = mode.endsWith("unfused") || mode.endsWith("unfused-upsample");
        boolean upsampleOnly = mode.endsWith("unfused-upsample");
        System.out.println("BLAS " + Gemm.implementation());
        UNetBench b = new UNetBench();
        Tape[] tapes = inference ? new Tape[] {Tape.inference(), Tape.inference()} : new Tape[] {new Tape(), new Tape()};
        List<List<Double>> variants = List.of(new ArrayList<>(), new ArrayList<>());
        b.tape = tapes[0];
        Tensor x = new Tensor(new float[batch * 784], Shape.of(batch, 1, 28, 28));
        Tensor target = new Tensor(new float[batch * 784], Shape.of(batch, 1, 28, 28));
        Tensor pos = new Tensor(new float[batch * 32], Shape.of(batch, 32));
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < x.size(); i++) {
            x.set(i, (float) (r.nextDouble() * 2 - 1));
            target.set(i, (float) (r.nextDouble() * 2 - 1));
        }
        for (int i = 0; i < pos.size(); i++) {
            pos.set(i, (float) Math.cos(i));
        }
        // The profile leaves out the first third of the steps (at least one): the JIT is still compiling them.
        int warmup = Math.max(1, steps / 3);
        double best = Double.MAX_VALUE;
        List<Double> times = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            long a0 = ((com.sun.management.ThreadMXBean) CPU).getCurrentThreadAllocatedBytes();
            long c0 = CPU.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            int variant = alternate ? s % 2 : 0;
            b.fused = variant == 0 || upsampleOnly;
            b.upsampleFused = variant == 0 || !upsampleOnly;
            b.tape = tapes[variant];
            b.tape.reset();
            timing = s >= warmup && !alternate; // the first steps include JIT warm-up
            Var y = b.forward(b.tape.input(x), pos);
            long t1 = System.nanoTime();
            long c1 = CPU.getCurrentThreadCpuTime();
            if (!inference) {
                b.tape.backward(b.tape.mse(y, target));
            }
            long t2 = System.nanoTime();
            long c2 = CPU.getCurrentThreadCpuTime();
            // Thread CPU time: the machine is shared, wall time includes waiting for a core.
            double sec = (c2 - c0) / 1e9;
            times.add(sec);
            if (s >= warmup) {
                variants.get(variant).add(sec);
            }
            best = Math.min(best, sec);
            long allocated = ((com.sun.management.ThreadMXBean) CPU).getCurrentThreadAllocatedBytes() - a0;
            System.out.printf("wall %.3f s; step %d: cpu %.3f s (forward %.3f s) %.1f img/s, params %d, arrays %d (%d MB),"
                    + " heap allocated in the step %.1f MB%n", (t2 - t0) / 1e9, s, sec,
                    (c1 - c0) / 1e9, batch / sec, b.used, b.tape.allocatedArrays(),
                    b.tape.allocatedFloats() * 4 / 1_000_000, allocated / 1e6);
        }
        if (alternate) {
            for (int v = 0; v < 2; v++) {
                List<Double> t = variants.get(v);
                t.sort(null);
                System.out.printf("%s: median %.3f s, best %.3f s over %d steps after warm-up%n",
                        v == 0 ? (upsampleOnly ? "upsampling convolution as one op" : "fused GroupNorm-SiLU convolutions")
                                : "two ops", t.get(t.size() / 2), t.get(0),
                        t.size());
            }
            return;
        }
        times.sort(null);
        FORWARD_NS.forEach((k, v) -> System.out.printf("forward %-24s %7.1f ms/step (thread CPU)%n", k, v / 1e6 / (steps - warmup)));
        BACKWARD_NS.forEach((k, v) -> System.out.printf("backward %-23s %7.1f ms/step (thread CPU)%n", k, v / 1e6 / (steps - warmup)));
        System.out.printf("forward total %.1f ms/step, backward total %.1f ms/step (the profiled ops)%n",
                FORWARD_NS.values().stream().mapToLong(Long::longValue).sum() / 1e6 / (steps - warmup),
                BACKWARD_NS.values().stream().mapToLong(Long::longValue).sum() / 1e6 / (steps - warmup));
        System.out.printf("median %.3f s = %.1f img/s; best %.1f img/s%n", times.get(times.size() / 2),
                batch / times.get(times.size() / 2), batch / best);
    }
}
