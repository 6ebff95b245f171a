package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Throwaway speed probe, not a unit test: thread CPU time per kernel call at unet-small's shapes, batch 64.
 * Run: {@code ./probe.sh kernels}, or {@code ./probe.sh kernels engines [BATCH]} for the stride-1 convolution
 * engines (README, "Measurement probes").
 */
public final class KernelBench {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private static void time(String name, double flops, Runnable op) {
        for (int i = 0; i < 3; i++) {
            op.run();
        }
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 7; r++) {
            long t0 = CPU.getCurrentThreadCpuTime();
            op.run();
            best = Math.min(best, CPU.getCurrentThreadCpuTime() - t0);
        }
        System.out.printf("%-44s %8.2f ms%s%n", name, best / 1e6,
                flops > 0 ? String.format("  %5.1f GFLOP/s", flops / best) : "");
    }

    private static float[] rand(int n) {
        SplittableRandom r = new SplittableRandom(n);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    public static void main(String[] args) {
        System.out.println("BLAS " + Gemm.implementation());
        if (args.length > 0 && args[0].equals("engines")) {
            engines(args.length > 1 ? Integer.parseInt(args[1]) : 64);
            return;
        }
        if (args.length > 0 && args[0].equals("channels")) {
            channels(args.length > 1 ? Integer.parseInt(args[1]) : 64);
            return;
        }
        if (args.length > 0 && args[0].equals("product")) {
            product(args.length > 1 ? Integer.parseInt(args[1]) : 64);
            return;
        }
        if (args.length > 0 && args[0].equals("normconv")) {
            normConv(args.length > 1 ? Integer.parseInt(args[1]) : 64);
            return;
        }
        if (args.length > 0 && args[0].equals("attention")) {
            attention(args.length > 1 ? Integer.parseInt(args[1]) : 64);
            return;
        }
        if (args.length > 0 && args[0].equals("upsample")) {
            upsample(args.length > 1 ? Integer.parseInt(args[1]) : 64);
            return;
        }
        if (args.length > 0 && args[0].equals("pointwise")) {
            pointwise(args.length > 1 ? Integer.parseInt(args[1]) : 64);
            return;
        }
        int n = 64;
        // The first shape again at the end: the first measurement includes JIT warm-up.
        for (int[] s : new int[][] {{32, 32, 28}, {96, 32, 28}, {64, 64, 14}, {128, 64, 7}, {32, 32, 28}}) {
            int cin = s[0];
            int cout = s[1];
            int hw = s[2];
            Conv2d.Geometry g = new Conv2d.Geometry(n, cin, hw, hw, cout, 3, 3, 1, 1);
            float[] x = rand(n * cin * hw * hw);
            float[] w = rand(cout * cin * 9);
            float[] b = rand(cout);
            float[] y = new float[n * cout * hw * hw];
            float[] dx = new float[x.length];
            float[] dw = new float[w.length];
            float[] db = new float[cout];
            float[] scratch = new float[Conv2d.scratchSize(g)];
            double flops = 2.0 * n * cout * cin * 9 * hw * hw;
            time("conv3x3 fwd " + cin + "->" + cout + " @" + hw, flops,
                    () -> Conv2d.forward(g, t(x), t(w), t(b), t(y), scratch));
            time("conv3x3 bwd " + cin + "->" + cout + " @" + hw, 2 * flops,
                    () -> Conv2d.backward(g, t(y), t(x), t(w), t(dx), t(dw), t(db), scratch));
        }
        Conv2d.Geometry down = new Conv2d.Geometry(n, 32, 28, 28, 32, 3, 3, 2, 1);
        float[] xd = rand(n * 32 * 784);
        float[] wd = rand(32 * 288);
        float[] yd = new float[n * 32 * 196];
        float[] sd = new float[Conv2d.scratchSize(down)];
        time("conv3x3 s2 fwd 32->32 @28", 2.0 * n * 32 * 288 * 196, () -> Conv2d.forward(down, t(xd), t(wd), null,
                t(yd), sd));
        time("conv3x3 s2 bwd 32->32 @28", 4.0 * n * 32 * 288 * 196, () -> Conv2d.backward(down, t(yd), t(xd), t(wd),
                t(new float[xd.length]), t(new float[wd.length]), null, sd));
        Conv2d.Geometry pw = new Conv2d.Geometry(n, 96, 28, 28, 32, 1, 1, 1, 0);
        float[] xp = rand(n * 96 * 784);
        float[] wp = rand(32 * 96);
        float[] yp = new float[n * 32 * 784];
        float[] sp = new float[Conv2d.scratchSize(pw)];
        float[] dxp = new float[xp.length];
        float[] dwp = new float[wp.length];
        time("conv1x1 fwd 96->32 @28", 2.0 * n * 32 * 96 * 784, () -> Conv2d.forward(pw, t(xp), t(wp), null,
                t(yp), sp));
        time("conv1x1 bwd 96->32 @28", 4.0 * n * 32 * 96 * 784, () -> Conv2d.backward(pw, t(yp), t(xp), t(wp),
                t(dxp), t(dwp), null, sp));

        int c = 32;
        int hw = 784;
        int count = n * c * hw;
        float[] x = rand(count);
        float[] y = new float[count];
        float[] dy = rand(count);
        float[] dx = new float[count];
        float[] sig = new float[count];
        float[] gamma = rand(c);
        float[] beta = rand(c);
        float[] stats = new float[2 * n * 8];
        GroupNorm.Geometry geo = new GroupNorm.Geometry(n, c, hw, 8);
        Tensor xt = new Tensor(x, Shape.of(count));
        Tensor gt = new Tensor(gamma, Shape.of(c));
        Tensor mean = new Tensor(stats, 0, Shape.of(n * 8));
        Tensor rstd = new Tensor(stats, n * 8, Shape.of(n * 8));
        time("groupNorm fwd 32ch/8g @28", 0, () -> GroupNorm.forward(geo, xt, gt, new Tensor(beta, Shape.of(c)),
                new Tensor(y, Shape.of(count)), mean, rstd, 1e-5f));
        float[] dg = new float[c];
        float[] dbt = new float[c];
        time("groupNorm bwd 32ch/8g @28", 0, () -> GroupNorm.backward(geo, new Tensor(dy, Shape.of(count)), xt, mean,
                rstd, gt, new Tensor(dx, Shape.of(count)), new Tensor(dg, Shape.of(c)), new Tensor(dbt, Shape.of(c))));
        time("silu fwd (save sigmoid) 32ch @28", 0, () -> Silu.forward(x, 0, y, 0, sig, 0, count));
        time("silu bwd (saved sigmoid) 32ch @28", 0, () -> Silu.backward(dy, 0, x, 0, sig, 0, dx, 0, count));
        time("add fwd 32ch @28", 0, () -> Add.forward(x, 0, dy, 0, y, 0, count));
        time("add bwd 32ch @28", 0, () -> Add.backward(dy, 0, dx, 0, y, 0, count));
        time("scale fwd 32ch @28", 0, () -> Scale.forward(x, 0, 0.7f, y, 0, count));
        float[] e = rand(n * c);
        time("addPerChannel fwd 32ch @28", 0, () -> AddPerChannel.forward(x, 0, e, 0, y, 0, n, c, hw));
        time("addPerChannel bwd 32ch @28", 0, () -> AddPerChannel.backward(dy, 0, dx, 0, e, 0, n, c, hw));
        time("fill zero 32ch @28", 0, () -> java.util.Arrays.fill(dx, 0f));

        float[] qkv = rand(n * 192 * 49);
        float[] out = new float[n * 64 * 49];
        float[] probs = new float[n * 49 * 49];
        float[] dqkv = new float[qkv.length];
        Attention.Geometry ag = new Attention.Geometry(n, 64, 49);
        Tensor qkvT = new Tensor(qkv, Shape.of(qkv.length));
        Tensor outT = new Tensor(out, Shape.of(out.length));
        Tensor probsT = new Tensor(probs, Shape.of(probs.length));
        Tensor dqkvT = new Tensor(dqkv, Shape.of(dqkv.length));
        time("attention fwd 64ch @7", 0, () -> Attention.forward(ag, qkvT, outT, probsT, true));
        time("attention bwd 64ch @7", 0, () -> Attention.backward(ag, outT, qkvT, probsT, dqkvT, new float[49 * 49]));
    }

    /** All of {@code a} as a flat view. */
    private static Tensor t(float[] a) {
        return new Tensor(a, Shape.of(a.length));
    }

    /**
     * Where a 3x3 convolution's time goes: the core's FMA peak (independent FMAs in registers), the product kernel
     * alone ({@link VectorConv#product} on the shifted layout's columns, operands in cache, as many columns as the
     * layer computes for batch n) and the whole vector forward at the same shape. GFLOP/s of the product count
     * every computed column (garbage ones included), of the layer only the useful ones.
     */
    private static void product(int n) {
        System.out.printf("FMA peak: %.1f GFLOP/s%n", fmaPeak());
        int[][] shapes = {{32, 32, 28}, {64, 32, 28}, {96, 32, 28}, {32, 64, 14}, {64, 64, 14}, {128, 64, 14},
            {64, 64, 7}, {128, 64, 7}, {32, 32, 28}};
        for (int[] s : shapes) {
            int cin = s[0];
            int cout = s[1];
            int size = s[2];
            // The layer's own layout: its chunks of images, computed columns, input row stride and tap shifts.
            Conv2d.Geometry g = new Conv2d.Geometry(n, cin, size, size, cout, 3, 3, 1, 1);
            int chunks = (n + ShiftedConv.chunk(g) - 1) / ShiftedConv.chunk(g);
            int cols = ShiftedConv.vectorOutputStride(g);
            int[] shifts = ShiftedConv.tapShifts(g, 1);
            int inStride = ShiftedConv.vectorChannelStride(g);
            float[] in = rand(cin * inStride + VectorConv.BLOCK);
            float[] w = rand(cout * cin * 9);
            float[] ap = new float[VectorConv.packedSize(cout, cin, 9)];
            VectorConv.pack(cout, cin, 9, w, 0, cin * 9, 9, 1, ap, 0);
            float[] out = new float[cout * cols];
            String shape = cin + "->" + cout + " @" + size;
            // The terms' offsets once for all chunks, as ShiftedConv computes them once per convolution.
            int[] termAt = VectorConv.termOffsets(cin, 9, inStride, shifts);
            time("product alone x" + chunks + " chunks " + shape, 2.0 * cout * cin * 9 * cols * chunks, () -> {
                for (int c = 0; c < chunks; c++) {
                    VectorConv.product(cout, cin * 9, ap, 0, in, 0, termAt, out, 0, cols, cols, false);
                }
            });
            float[] x = rand(n * cin * size * size);
            float[] y = new float[n * cout * size * size];
            float[] scratch = new float[(int) ShiftedConv.scratchSize(ShiftedConv.Engine.VECTOR, g)];
            time("vector forward " + shape, 2.0 * n * cout * cin * 9 * size * size,
                    () -> ShiftedConv.forward(ShiftedConv.Engine.VECTOR, g, t(x), t(w), t(rand(cout)), t(y), scratch));
        }
    }

    /** GFLOP/s of 12 independent chains of vector FMAs in registers (thread CPU time, best of 5 after warm-up). */
    private static double fmaPeak() {
        float[] a = rand(2 * VectorConv.LANES);
        long iterations = 20_000_000L;
        double best = 0;
        for (int r = 0; r < 8; r++) {
            long t0 = CPU.getCurrentThreadCpuTime();
            float sink = fmaChains(iterations, a);
            long t = CPU.getCurrentThreadCpuTime() - t0;
            if (Float.isNaN(sink)) {
                throw new AssertionError();
            }
            best = Math.max(best, iterations * 12.0 * VectorConv.LANES * 2 / t);
        }
        return best;
    }

    private static float fmaChains(long iterations, float[] a) {
        FloatVector x = FloatVector.fromArray(VectorConv.SPECIES, a, 0);
        FloatVector y = FloatVector.fromArray(VectorConv.SPECIES, a, VectorConv.LANES);
        // Twelve chains written out, enough to hide the FMA latency: vectors in an array would be boxed.
        var c0 = x;
        var c1 = y;
        var c2 = x;
        var c3 = y;
        var c4 = x;
        var c5 = y;
        var c6 = x;
        var c7 = y;
        var c8 = x;
        var c9 = y;
        var c10 = x;
        var c11 = y;
        y = y.mul(1e-9f);
        for (long i = 0; i < iterations; i++) {
            c0 = c0.fma(x, y);
            c1 = c1.fma(x, y);
            c2 = c2.fma(x, y);
            c3 = c3.fma(x, y);
            c4 = c4.fma(x, y);
            c5 = c5.fma(x, y);
            c6 = c6.fma(x, y);
            c7 = c7.fma(x, y);
            c8 = c8.fma(x, y);
            c9 = c9.fma(x, y);
            c10 = c10.fma(x, y);
            c11 = c11.fma(x, y);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    /**
     * Every 1x1 convolution and stride-2 3x3 of unet-small: forward, backward (dx and dw) and each gradient alone,
     * batch n; for the 1x1 ones also the vector product alone over the same columns from a cached input (what the
     * layer costs beyond its multiply-adds).
     */
    private static void pointwise(int n) {
        // {cin, cout, size, kernel, stride}; the first shape again at the end (JIT warm-up)
        int[][] shapes = {{96, 32, 28, 1, 1}, {64, 32, 28, 1, 1}, {32, 64, 14, 1, 1}, {96, 64, 14, 1, 1},
            {128, 64, 14, 1, 1}, {64, 192, 7, 1, 1}, {64, 64, 7, 1, 1}, {128, 64, 7, 1, 1}, {32, 32, 28, 3, 2},
            {64, 64, 14, 3, 2}, {96, 32, 28, 1, 1}};
        for (int[] s : shapes) {
            int k = s[3];
            Conv2d.Geometry g = new Conv2d.Geometry(n, s[0], s[2], s[2], s[1], k, k, s[4], k / 2);
            float[] x = rand(n * s[0] * s[2] * s[2]);
            float[] w = rand(s[1] * s[0] * k * k);
            float[] b = rand(s[1]);
            float[] y = new float[n * s[1] * g.ho() * g.wo()];
            float[] dx = new float[x.length];
            float[] dw = new float[w.length];
            float[] scratch = new float[Conv2d.scratchSize(g)];
            double flops = 2.0 * n * s[1] * s[0] * k * k * g.ho() * g.wo();
            String shape = k + "x" + k + " s" + s[4] + " " + s[0] + "->" + s[1] + " @" + s[2];
            time("fwd " + shape, flops, () -> Conv2d.forward(g, t(x), t(w), t(b), t(y), scratch));
            time("bwd " + shape, 2 * flops, () -> Conv2d.backward(g, t(y), t(x), t(w), t(dx), t(dw), null, scratch));
            time("bwd dx " + shape, flops, () -> Conv2d.backward(g, t(y), t(x), t(w), t(dx), null, null, scratch));
            time("bwd dw " + shape, flops, () -> Conv2d.backward(g, t(y), t(x), t(w), null, t(dw), null, scratch));
            if (k == 1) {
                int hw = g.ho() * g.wo();
                int chunk = g.chunk();
                int chunks = (n + chunk - 1) / chunk;
                int cp = VectorConv.roundUp(chunk * hw, VectorConv.BLOCK);
                float[] in = rand(s[0] * cp + VectorConv.BLOCK);
                float[] ap = new float[VectorConv.packedSize(s[1], s[0], 1)];
                VectorConv.pack(s[1], s[0], 1, w, 0, s[0], 1, 1, ap, 0);
                float[] out = new float[s[1] * cp];
                int[] termAt = VectorConv.termOffsets(s[0], 1, cp, new int[] {0});
                time("product alone x" + chunks + " " + shape, 2.0 * s[1] * s[0] * cp * chunks, () -> {
                    for (int c = 0; c < chunks; c++) {
                        VectorConv.product(s[1], s[0], ap, 0, in, 0, termAt, out, 0, cp, chunk * hw, false);
                    }
                });
            }
        }
    }

    /** unet-small's attention (64 channels over 7x7 positions): forward and backward, and their exps alone. */
    private static void attention(int n) {
        Attention.Geometry geo = new Attention.Geometry(n, 64, 49);
        float[] qkv = rand(geo.qkvSize());
        float[] out = new float[geo.outSize()];
        float[] probs = new float[n * geo.probsSize()];
        float[] dqkv = new float[geo.qkvSize()];
        float[] scratch = new float[geo.probsSize()];
        for (int rep = 0; rep < 2; rep++) {
            time("attention forward", 0, () -> Attention.forward(geo, t(qkv), t(out), t(probs), true));
            time("attention backward", 0, () -> Attention.backward(geo, t(out), t(qkv), t(probs), t(dqkv), scratch));
            float[] a = rand(probs.length);
            time("Math.exp over the probabilities", 0, () -> {
                for (int i = 0; i < a.length; i++) {
                    probs[i] = (float) Math.exp(a[i] - 1f);
                }
            });
            time("lanewise EXP over the probabilities", 0, () -> {
                for (int i = 0; i < a.length; i += VectorConv.LANES) {
                    FloatVector.fromArray(VectorConv.SPECIES, a, i).sub(1f).lanewise(VectorOperators.EXP)
                            .intoArray(probs, i);
                }
            });
        }
    }

    /**
     * The vector forward and input gradient of stride-1 3x3 convolutions with 64 output channels at 7x7, 14x14
     * and 28x28, batch n: the columns product ({@link VectorConv#product}) against the channel-lanes one
     * ({@link VectorConv#productChannels}), alternating in one JVM for four rounds (the VM's speed drifts between
     * runs, so only a comparison inside one run means anything); GFLOP/s count the convolution's own
     * multiply-adds.
     */
    private static void channels(int n) {
        int[][] shapes = {{64, 64, 7}, {128, 64, 7}, {64, 64, 14}, {128, 64, 14}, {64, 64, 28}};
        for (int round = 0; round < 4; round++) {
            for (int[] s : shapes) {
                Conv2d.Geometry g = new Conv2d.Geometry(n, s[0], s[2], s[2], s[1], 3, 3, 1, 1);
                float[] x = rand(n * s[0] * s[2] * s[2]);
                float[] w = rand(s[1] * s[0] * 9);
                float[] b = rand(s[1]);
                float[] y = new float[n * s[1] * s[2] * s[2]];
                float[] scratch = new float[(int) ShiftedConv.scratchSize(ShiftedConv.Engine.VECTOR, g)];
                double flops = 2.0 * n * s[0] * s[1] * 9 * s[2] * s[2];
                String shape = " " + s[0] + "->" + s[1] + " @" + s[2] + " round " + round;
                time("columns  fwd" + shape, flops,
                        () -> ShiftedConv.forwardVector(false, g, t(x), t(w), t(b), t(y), scratch));
                time("channels fwd" + shape, flops,
                        () -> ShiftedConv.forwardVector(true, g, t(x), t(w), t(b), t(y), scratch));
                float[] dx = new float[x.length];
                time("columns  dx " + shape, flops,
                        () -> ShiftedConv.backwardVector(false, g, t(y), t(x), t(w), t(dx), null, scratch));
                time("channels dx " + shape, flops,
                        () -> ShiftedConv.backwardVector(true, g, t(y), t(x), t(w), t(dx), null, scratch));
            }
        }
    }

    /**
     * Every GroupNorm-SiLU-then-3x3 of unet-small that {@link NormSiluConv} fuses under this JVM's engine choice
     * ({@code -Dsparkdiffusion.conv}): the two kernels (with the zeroing of the intermediate gradient the tape
     * does) against the fused one, forward and backward, batch n.
     */
    private static void normConv(int n) {
        // {cin, cout, size}; the first shape again at the end (JIT warm-up)
        int[][] shapes = {{32, 32, 28}, {64, 32, 28}, {96, 32, 28}, {32, 64, 14}, {64, 64, 14}, {128, 64, 14},
            {64, 64, 7}, {128, 64, 7}, {32, 1, 28}, {32, 32, 28}};
        for (int[] s : shapes) {
            int cin = s[0];
            int hw = s[2] * s[2];
            Conv2d.Geometry g = new Conv2d.Geometry(n, cin, s[2], s[2], s[1], 3, 3, 1, 1);
            if (!NormSiluConv.fuses(g)) {
                System.out.println("not fused here: " + g);
                continue;
            }
            int groups = Math.min(32, cin / 4);
            GroupNorm.Geometry norm = new GroupNorm.Geometry(n, cin, hw, groups);
            float[] x = rand(n * cin * hw);
            float[] gamma = rand(cin);
            float[] beta = rand(cin);
            float[] w = rand(s[1] * cin * 9);
            float[] b = rand(s[1]);
            float[] y = new float[n * s[1] * hw];
            float[] h = new float[x.length];
            float[] dh = new float[x.length];
            float[] dx = new float[x.length];
            float[] dw = new float[w.length];
            float[] dgamma = new float[cin];
            float[] dbeta = new float[cin];
            float[] stats = new float[2 * n * groups];
            Tensor mean = new Tensor(stats, 0, Shape.of(n * groups));
            Tensor rstd = new Tensor(stats, n * groups, Shape.of(n * groups));
            float[] xp = new float[Math.toIntExact(NormSiluConv.paddedSize(g))];
            float[] scratch = new float[NormSiluConv.scratchSize(g)];
            GroupNormSilu.Scratch rows = new GroupNormSilu.Scratch(hw, cin / groups * hw);
            String shape = "gn+3x3 " + cin + "->" + s[1] + " @" + s[2];
            time("two ops fwd " + shape, 0, () -> {
                GroupNormSilu.forward(norm, t(x), t(gamma), t(beta), t(h), mean, rstd, 1e-5f, rows);
                Conv2d.forward(g, t(h), t(w), t(b), t(y), scratch);
            });
            time("fused   fwd " + shape, 0, () -> NormSiluConv.forward(norm, g, t(x), t(gamma), t(beta), mean, rstd,
                    1e-5f, rows, xp, 0, t(w), t(b), t(y), scratch));
            time("two ops bwd " + shape, 0, () -> {
                java.util.Arrays.fill(dh, 0f);
                Conv2d.backward(g, t(y), t(h), t(w), t(dh), t(dw), null, scratch);
                GroupNormSilu.backward(norm, t(dh), t(x), mean, rstd, t(gamma), t(beta), t(dx), t(dgamma), t(dbeta),
                        rows);
            });
            time("fused   bwd " + shape, 0, () -> NormSiluConv.backward(norm, g, t(y), xp, 0, t(x), mean, rstd,
                    t(gamma), t(beta), t(w), t(dx), t(dgamma), t(dbeta), t(dw), null, rows, scratch));
        }
    }

    /**
     * unet-small's two upsampling blocks (64 channels, 7 -> 14 and 14 -> 28): nearest 2x upsampling then the 3x3
     * convolution, as two kernels, against {@link UpsampleConv} (the four phases' 2x2 convolution), batch n, each
     * pair twice in alternation. GFLOP/s count the upsampled convolution's multiply-adds for both.
     */
    private static void upsample(int n) {
        for (int round = 0; round < 2; round++) {
            for (int h : new int[] {7, 14}) {
                int c = 64;
                UpsampleConv.Geometry ug = new UpsampleConv.Geometry(n, c, h, h, c);
                Conv2d.Geometry g = ug.upsampled();
                float[] x = rand(n * c * h * h);
                float[] up = new float[n * c * 4 * h * h];
                float[] dup = new float[up.length];
                float[] w = rand(c * c * 9);
                float[] b = rand(c);
                float[] y = rand(n * c * 4 * h * h);
                float[] dx = new float[x.length];
                float[] dw = new float[w.length];
                float[] db = new float[c];
                float[] scratch = new float[Math.max(Conv2d.scratchSize(g), UpsampleConv.scratchSize(ug))];
                float[] work = new float[(int) UpsampleConv.workSize(ug)];
                double flops = 2.0 * n * c * c * 9 * 4 * h * h;
                String shape = c + "->" + c + " @" + h + "->" + 2 * h;
                time("upsample+conv3x3 fwd " + shape, flops, () -> {
                    UpsampleNearest2x.forward(x, 0, up, 0, n * c, h, h);
                    Conv2d.forward(g, t(up), t(w), t(b), t(y), scratch);
                });
                time("UpsampleConv fwd " + shape, flops,
                        () -> UpsampleConv.forward(ug, t(x), t(w), t(b), t(y), work, scratch));
                time("upsample+conv3x3 bwd " + shape, 2 * flops, () -> {
                    java.util.Arrays.fill(dup, 0f);
                    Conv2d.backward(g, t(y), t(up), t(w), t(dup), t(dw), t(db), scratch);
                    UpsampleNearest2x.backward(dup, 0, dx, 0, n * c, h, h);
                });
                time("UpsampleConv bwd " + shape, 2 * flops,
                        () -> UpsampleConv.backward(ug, t(y), t(x), t(w), t(dx), t(dw), t(db), work, scratch));
            }
        }
    }

    /** Every stride-1 3x3 of unet-small: forward and backward on both shifted-product engines, batch n. */
    private static void engines(int n) {
        int[][] shapes = {{32, 32, 28, 3}, {64, 32, 28, 3}, {96, 32, 28, 3}, {32, 64, 14, 3}, {64, 64, 14, 3},
            {128, 64, 14, 3}, {64, 64, 7, 3}, {128, 64, 7, 3}, {32, 1, 28, 3}, {96, 32, 28, 1}, {32, 64, 14, 1},
            {128, 64, 14, 1}, {64, 192, 7, 1}, {64, 64, 7, 1}, {32, 32, 28, 3}};
        for (int[] s : shapes) {
            int k = s[3];
            Conv2d.Geometry g = new Conv2d.Geometry(n, s[0], s[2], s[2], s[1], k, k, 1, k / 2);
            float[] x = rand(n * s[0] * s[2] * s[2]);
            float[] w = rand(s[1] * s[0] * k * k);
            float[] b = rand(s[1]);
            float[] y = new float[n * s[1] * s[2] * s[2]];
            float[] dx = new float[x.length];
            float[] dw = new float[w.length];
            float[] scratch = new float[(int) Math.max(Math.max(ShiftedConv.scratchSize(ShiftedConv.Engine.GEMM, g),
                    ShiftedConv.scratchSize(ShiftedConv.Engine.VECTOR, g)), Math.max(Conv2d.scratchSize(g),
                    Winograd.Choice.supports(g) ? Winograd.scratchSize(g) : 0))];
            double flops = 2.0 * n * s[1] * s[0] * k * k * s[2] * s[2];
            String shape = k + "x" + k + " " + s[0] + "->" + s[1] + " @" + s[2];
            if (k == 1) {
                time("im2col/GEMM fwd " + shape, flops, () -> Conv2d.forward(g, t(x), t(w), t(b), t(y), scratch));
                time("im2col/GEMM bwd " + shape, 2 * flops,
                        () -> Conv2d.backward(g, t(y), t(x), t(w), t(dx), t(dw), null, scratch));
            }
            if (Winograd.Choice.supports(g)) {
                time("WINOGRAD fwd " + shape, flops, () -> Winograd.forward(g, x, 0, w, 0, b, 0, y, 0, scratch));
                time("WINOGRAD bwd dx " + shape, flops, () -> Winograd.inputGradient(g, y, 0, w, 0, dx, 0, scratch));
                time("WINOGRAD bwd dw " + shape, flops, () -> Winograd.weightGradient(g, y, 0, x, 0, dw, 0, scratch));
            }
            for (ShiftedConv.Engine e : ShiftedConv.Engine.values()) {
                time(e + " fwd " + shape, flops, () -> ShiftedConv.forward(e, g, t(x), t(w), t(b), t(y), scratch));
                time(e + " bwd " + shape, 2 * flops,
                        () -> ShiftedConv.backward(e, g, t(y), t(x), t(w), t(dx), t(dw), scratch));
                time(e + " bwd dx " + shape, flops,
                        () -> ShiftedConv.backward(e, g, t(y), t(x), t(w), t(dx), null, scratch));
                time(e + " bwd dw " + shape, flops,
                        () -> ShiftedConv.backward(e, g, t(y), t(x), t(w), null, t(dw), scratch));
            }
        }
    }
}
