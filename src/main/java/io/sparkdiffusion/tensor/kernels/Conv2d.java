package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.tensor.Tensor;

/**
 * 2-D convolution (cross-correlation, as PyTorch), zero padding, same stride on both axes.
 *
 * <pre>
 * x  [N, Cin, H, W]          w  [Cout, Cin, kh, kw] = [Cout, K], K = Cin*kh*kw     b [Cout]
 * y  [N, Cout, Ho, Wo]       Ho = (H + 2 pad - kh) / stride + 1,  Wo likewise
 * y[n,o,i,j] = b[o] + sum_{c,u,v} w[o,c,u,v] * x[n, c, i*stride - pad + u, j*stride - pad + v]
 * col [K, B*Ho*Wo]           im2col of B images side by side (B = imagesPerGemm), row (c,u,v)
 * </pre>
 *
 * <p>Stride-1 kernels larger than 1x1 with padding below the kernel size (the 3x3 convolutions of a U-Net) run
 * as one GEMM per kernel tap over a padded copy of the input ({@link ShiftedConv}), which avoids im2col's
 * kh*kw-fold copy. Otherwise forward is
 * {@code Y = W col} per chunk of B images: small images are batched so each GEMM has at least
 * {@link #TARGET_COLUMNS} columns. Backward: {@code dW += dY col^T}, {@code dcol = W^T dY}, then col2im adds
 * {@code dcol} into dx; db gets the row sums of dY. A 1x1, stride-1, unpadded convolution uses x as its own col:
 * in the forward when one image fills a GEMM, in the backward always (two GEMMs per image, no copies). All
 * backward outputs accumulate ({@code +=}).
 *
 * <p>With the vector engine ({@link ShiftedConv.Engine#VECTOR}) the forward of the other convolutions (stride 2)
 * is {@link VectorConv#product} over the same im2col chunk instead of a GEMM: every output column is summed in its
 * own lane in one fixed order, so an image's output is bit for bit the same whatever other images share the chunk
 * (a GEMM's rounding depends on its shape, i.e. on the batch). With it every forward kernel of the U-Net is batch
 * invariant ({@link #batchInvariant()}). The backward of these convolutions runs on the same kernels: {@code dcol}
 * is the product with the weight transposed, {@code dW} {@link VectorConv#correlateOuter} with dY transposed where
 * the output channels fill its lanes (BLAS otherwise); measured in one JVM against BLAS (OpenBLAS Haswell kernel,
 * batch 64, 2026-12-04): 32 -> 32 at 28x28 dx 3.9 against 5.2 ms, dw 4.5 against 6.0.
 *
 * <p>The vector engine's 1x1 convolutions need no im2col: the forward and the input gradient are that product
 * straight from the tensors' own layout (same sums, same bits as over a chunk), the weight gradient
 * {@link VectorConv#correlateOuter} over one operand transposed, where the channels fill its vector lanes
 * (otherwise BLAS, as the GEMM engine). Measured at unet-small's eight 1x1 shapes (AMD EPYC, AVX-512, batch 64,
 * 2026-12-04, {@code ./probe.sh kernels pointwise}): forward 1.2 to 1.9 times the im2col product's speed at seven,
 * the same at 64 -> 64 @ 7x7 (runs before and after); input gradient 1.6 to 2.9 times OpenBLAS's Haswell kernel
 * (runs with {@code -Dsparkdiffusion.conv=gemm} and without); weight gradient, alternating in one JVM, 1.0 to 1.4
 * times BLAS at six and 7 to 9 % slower at the other two (32 -> 64 @ 14, 64 -> 64 @ 7).
 *
 * <p>Every array but the scratch is a {@link Tensor} view (its data from its offset); the shape is a
 * {@link Geometry}, whose checks also guard {@link ShiftedConv}'s entry points.
 */
public final class Conv2d {
    /** Minimum GEMM width (output positions) before images are batched into one product. */
    static final int TARGET_COLUMNS = 1024;

    private Conv2d() {
    }

    /**
     * What runs stride-1 convolutions other than 1x1 (see {@link ShiftedConv.Engine}): {@code "vector:N lanes"}
     * (the Vector API kernels, N floats per vector) followed by where {@link Winograd} takes over, or
     * {@code "gemm"} (one BLAS call per kernel tap).
     */
    public static String stride1Implementation() {
        return ShiftedConv.Engine.DEFAULT == ShiftedConv.Engine.VECTOR
                ? "vector:" + VectorConv.LANES + " lanes, " + Winograd.Choice.describe() : "gemm";
    }

    /**
     * True when the forward pass of every convolution gives each image the same bits whatever else is in the
     * batch: the vector engine is in use (the GEMM engine's rounding depends on the product's shape).
     */
    public static boolean batchInvariant() {
        return ShiftedConv.Engine.DEFAULT == ShiftedConv.Engine.VECTOR;
    }

    /** Sizes of one convolution; {@link #ho()} and {@link #wo()} follow the PyTorch formula. */
    public record Geometry(int n, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad) {
        public Geometry {
            if (n <= 0 || cin <= 0 || h <= 0 || w <= 0 || cout <= 0 || kh <= 0 || kw <= 0) {
                throw new IllegalArgumentException("conv2d sizes must be positive, got " + this);
            }
            if (stride <= 0 || pad < 0) {
                throw new IllegalArgumentException("conv2d needs stride >= 1 and padding >= 0, got stride " + stride
                        + ", padding " + pad);
            }
            if (h + 2 * pad < kh || w + 2 * pad < kw) {
                throw new IllegalArgumentException("conv2d kernel " + kh + "x" + kw + " larger than the padded input "
                        + (h + 2 * pad) + "x" + (w + 2 * pad));
            }
        }

        public int ho() {
            return (h + 2 * pad - kh) / stride + 1;
        }

        public int wo() {
            return (w + 2 * pad - kw) / stride + 1;
        }

        /** Rows of the im2col matrix: {@code Cin*kh*kw}. */
        public int k() {
            return cin * kh * kw;
        }

        /** Stride-1 convolutions other than 1x1, padding at most kernel size - 1: shifted GEMMs ({@link ShiftedConv}). */
        boolean usesShiftedGemm() {
            return stride == 1 && !isPointwise() && ShiftedConv.supports(this);
        }

        boolean isPointwise() {
            return kh == 1 && kw == 1 && stride == 1 && pad == 0;
        }

        /** Images per GEMM. */
        int chunk() {
            int hw = ho() * wo();
            return Math.min(n, Math.max(1, TARGET_COLUMNS / hw));
        }

        /** Throws unless {@code t} (null allowed when {@code optional}) holds at least {@code size} elements. */
        private void require(Tensor t, long size, String what, boolean optional) {
            if (t == null ? !optional : t.size() < size) {
                throw new IllegalArgumentException("conv2d " + what + ": expected " + size + " floats, got "
                        + (t == null ? "null" : t.size()) + " (" + this + ")");
            }
        }

        private String input() {
            return "a view of [N, Cin, H, W] = [" + n + ", " + cin + ", " + h + ", " + w + "]";
        }

        private String weight() {
            return "a view of [Cout, Cin, kh, kw] = [" + cout + ", " + cin + ", " + kh + ", " + kw + "]";
        }

        private String output() {
            return "a view of [N, Cout, Ho, Wo] = [" + n + ", " + cout + ", " + ho() + ", " + wo() + "]";
        }

        void requireScratch(float[] scratch, long size) {
            if (scratch.length < size) {
                throw new IllegalArgumentException("conv2d scratch: expected " + size + " floats (scratchSize), got "
                        + scratch.length + " (" + this + ")");
            }
        }

        /** Throws unless x, w, b (null allowed) and y have this geometry's sizes and scratch holds scratchSize. */
        void requireForward(Tensor x, Tensor w, Tensor b, Tensor y, float[] scratch, long scratchSize) {
            long in = (long) n * cin * h * this.w;
            require(x, in, "x, " + input(), false);
            require(w, (long) cout * k(), "weight, " + weight(), false);
            require(b, cout, "bias, a view of [Cout] = [" + cout + "]", true);
            require(y, (long) n * cout * ho() * wo(), "y, " + output(), false);
            requireScratch(scratch, scratchSize);
        }

        /** Throws unless dy, x, w and the wanted gradients (null allowed) have this geometry's sizes. */
        void requireBackward(Tensor dy, Tensor x, Tensor w, Tensor dx, Tensor dw, Tensor db, float[] scratch,
                             long scratchSize) {
            long in = (long) n * cin * h * this.w;
            require(dy, (long) n * cout * ho() * wo(), "dy, " + output(), false);
            require(x, in, "x, " + input(), false);
            require(w, (long) cout * k(), "weight, " + weight(), false);
            require(dx, in, "dx, " + input(), true);
            require(dw, (long) cout * k(), "dweight, " + weight(), true);
            require(db, cout, "dbias, a view of [Cout] = [" + cout + "]", true);
            requireScratch(scratch, scratchSize);
        }
    }

    /** Floats of scratch {@link #forward} and {@link #backward} need. */
    public static int scratchSize(Geometry g) {
        return scratchSize(ShiftedConv.Engine.DEFAULT, g);
    }

    /**
     * Floats of scratch {@link #forward} alone needs: no more than {@link #scratchSize}, less where the backward
     * pass's Winograd weight gradient needs more (an inference pass does not hold it).
     */
    public static int forwardScratchSize(Geometry g) {
        return scratchSize(ShiftedConv.Engine.DEFAULT, g, false);
    }

    /** True when g runs on {@link Winograd} under the default engine (all three passes). */
    public static boolean runsOnWinograd(Geometry g) {
        return winograd(ShiftedConv.Engine.DEFAULT, g);
    }

    /** True when g runs on {@link Winograd} (all three passes) under this engine. */
    private static boolean winograd(ShiftedConv.Engine engine, Geometry g) {
        return engine == ShiftedConv.Engine.VECTOR && Winograd.Choice.applies(g);
    }

    static int scratchSize(ShiftedConv.Engine engine, Geometry g) {
        return scratchSize(engine, g, true);
    }

    private static int scratchSize(ShiftedConv.Engine engine, Geometry g, boolean backward) {
        if (g.usesShiftedGemm()) {
            long size = ShiftedConv.scratchSize(engine, g);
            if (winograd(engine, g)) {
                size = Math.max(size, backward ? Winograd.scratchSize(g) : Winograd.convolutionScratchSize(g));
            }
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("conv2d scratch too large for " + g);
            }
            return (int) size;
        }
        long cols = (long) g.chunk() * g.ho() * g.wo();
        // The GEMM forward's col and product; the im2col backward's col, dY and dcol (a 1x1 backward needs none).
        long size = (g.isPointwise() ? 1L : 2L) * g.k() * cols + (long) g.cout() * cols;
        if (engine == ShiftedConv.Engine.VECTOR) {
            size = Math.max(size, vectorScratchSize(g));
            if (backward && !g.isPointwise()) {
                size = Math.max(size, vectorBackwardScratchSize(g));
            }
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv2d scratch too large for " + g);
        }
        return (int) size;
    }

    /**
     * y = conv(x, w) + b; y is overwritten. {@code b} may be null (no bias); scratch holds
     * {@link #forwardScratchSize} floats.
     */
    public static void forward(Geometry g, Tensor x, Tensor w, Tensor b, Tensor y, float[] scratch) {
        forward(ShiftedConv.Engine.DEFAULT, g, x, w, b, y, scratch, null);
    }

    /**
     * {@link #forward} for weights that stay fixed between calls: where g runs on Winograd, its transformed
     * weights are kept in {@code kept} (null: none kept) and transformed again only when w's values change. The
     * same bits as {@link #forward}.
     */
    public static void forward(Geometry g, Tensor x, Tensor w, Tensor b, Tensor y, float[] scratch,
                               TransformedWeights kept) {
        forward(ShiftedConv.Engine.DEFAULT, g, x, w, b, y, scratch, kept);
    }

    /** {@link #forward} on a given engine, so tests cover both. */
    static void forward(ShiftedConv.Engine engine, Geometry g, Tensor x, Tensor w, Tensor b, Tensor y,
                        float[] scratch) {
        forward(engine, g, x, w, b, y, scratch, null);
    }

    private static void forward(ShiftedConv.Engine engine, Geometry g, Tensor x, Tensor w, Tensor b, Tensor y,
                                float[] scratch, TransformedWeights kept) {
        g.requireForward(x, w, b, y, scratch, scratchSize(engine, g, false));
        if (winograd(engine, g)) {
            Winograd.forward(g, x.data(), x.offset(), w.data(), w.offset(), b == null ? null : b.data(),
                    b == null ? 0 : b.offset(), y.data(), y.offset(), scratch, kept);
            return;
        }
        if (g.usesShiftedGemm()) {
            ShiftedConv.forward(engine, g, x, w, b, y, scratch);
            return;
        }
        forward(engine, g, x.data(), x.offset(), w.data(), w.offset(), b == null ? null : b.data(),
                b == null ? 0 : b.offset(), y.data(), y.offset(), scratch);
    }

    private static void forward(ShiftedConv.Engine engine, Geometry g, float[] x, int xOff, float[] w, int wOff,
                                float[] b, int bOff, float[] y, int yOff, float[] scratch) {
        if (engine == ShiftedConv.Engine.VECTOR) {
            forwardVector(g, x, xOff, w, wOff, b, bOff, y, yOff, scratch);
            return;
        }
        int k = g.k();
        int hw = g.ho() * g.wo();
        int inImage = g.cin() * g.h() * g.w();
        int outImage = g.cout() * hw;
        int chunk = g.chunk();
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            int cols = nb * hw;
            if (nb == 1) {
                float[] col = scratch;
                int colOff = 0;
                if (g.isPointwise()) {
                    col = x;
                    colOff = xOff + n0 * inImage;
                } else {
                    im2col(g, x, xOff + n0 * inImage, scratch, 0, cols);
                }
                Gemm.sgemm(false, false, g.cout(), hw, k, 1f, w, wOff, k, col, colOff, hw, 0f, y, yOff + n0 * outImage, hw);
                addBias(b, bOff, y, yOff + n0 * outImage, g.cout(), hw);
                continue;
            }
            for (int i = 0; i < nb; i++) {
                im2col(g, x, xOff + (n0 + i) * inImage, scratch, i * hw, cols);
            }
            int tmpOff = k * cols;
            Gemm.sgemm(false, false, g.cout(), cols, k, 1f, w, wOff, k, scratch, 0, cols, 0f, scratch, tmpOff, cols);
            // [Cout, nb, hw] -> [nb, Cout, hw]
            for (int i = 0; i < nb; i++) {
                int dst = yOff + (n0 + i) * outImage;
                for (int o = 0; o < g.cout(); o++) {
                    System.arraycopy(scratch, tmpOff + o * cols + i * hw, y, dst + o * hw, hw);
                }
                addBias(b, bOff, y, dst, g.cout(), hw);
            }
        }
    }

    // Vector engine layout for one chunk of B images (cp = cols rounded up to whole VectorConv blocks; the columns
    // past B*Ho*Wo hold whatever scratch held and only feed output columns that are never read):
    //   col [K, cp]      im2col of the chunk, images side by side
    //   out [Cout, cp]   product(a = w, in = col, one tap at shift 0)
    //   ap               w packed for VectorConv
    private static int vectorColumns(Geometry g) {
        return VectorConv.roundUp(g.chunk() * g.ho() * g.wo(), VectorConv.BLOCK);
    }

    private static long vectorScratchSize(Geometry g) {
        if (g.isPointwise()) {
            return pointwiseScratchSize(g);
        }
        long cp = vectorColumns(g);
        long im2col = (long) g.k() * cp + (long) g.cout() * cp + VectorConv.packedSize(g.cout(), g.k(), 1);
        // The phases' forward where it applies; the im2col forward's size too, which tests compare it with.
        return StrideTwoConv.applies(g) ? Math.max(im2col, StrideTwoConv.scratchSize(g)) : im2col;
    }

    private static final int[] NO_SHIFT = {0};

    private static void forwardVector(Geometry g, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
                                      float[] y, int yOff, float[] scratch) {
        if (g.isPointwise()) {
            VectorConv.pack(g.cout(), g.cin(), 1, w, wOff, g.cin(), 1, 1, scratch, 0);
            pointwiseProduct(g.n(), g.ho() * g.wo(), g.cout(), g.cin(), scratch, 0, x, xOff, y, yOff, b, bOff, false,
                    scratch, VectorConv.packedSize(g.cout(), g.cin(), 1));
            return;
        }
        if (StrideTwoConv.applies(g)) {
            StrideTwoConv.forward(g, x, xOff, w, wOff, b, bOff, y, yOff, scratch);
            return;
        }
        forwardVectorIm2col(g, x, xOff, w, wOff, b, bOff, y, yOff, scratch);
    }

    /** The vector forward over im2col chunks (the stride-2 convolutions that {@link StrideTwoConv} does not take). */
    static void forwardVectorIm2col(Geometry g, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
                                    float[] y, int yOff, float[] scratch) {
        int k = g.k();
        int hw = g.ho() * g.wo();
        int inImage = g.cin() * g.h() * g.w();
        int outImage = g.cout() * hw;
        int chunk = g.chunk();
        int cp = vectorColumns(g);
        int outOff = k * cp;
        int apOff = outOff + g.cout() * cp;
        VectorConv.pack(g.cout(), k, 1, w, wOff, k, 1, 1, scratch, apOff);
        int[] termAt = VectorConv.termOffsets(k, 1, cp, NO_SHIFT);
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            for (int i = 0; i < nb; i++) {
                im2col(g, x, xOff + (n0 + i) * inImage, scratch, i * hw, cp);
            }
            VectorConv.product(g.cout(), k, scratch, apOff, scratch, 0, termAt, scratch, outOff, cp, nb * hw, false);
            // [Cout, nb, hw] -> [nb, Cout, hw], plus the bias
            for (int i = 0; i < nb; i++) {
                int dst = yOff + (n0 + i) * outImage;
                for (int o = 0; o < g.cout(); o++) {
                    int src = outOff + o * cp + i * hw;
                    int to = dst + o * hw;
                    float bias = b == null ? 0f : b[bOff + o];
                    for (int p = 0; p < hw; p++) {
                        y[to + p] = scratch[src + p] + bias;
                    }
                }
            }
        }
    }

    // The vector engine's 1x1 convolutions (forward and input gradient) run in the tensors' own layout, with no
    // im2col and no copy of the output: per image a product over its whole blocks of BLOCK columns, term k of the
    // image at k*hw and output row r at r*hw; the last hw % BLOCK columns of BLOCK / (hw % BLOCK) images at a time
    // are gathered into one staging block. Every output column still sums its terms in one fixed order in its own
    // lane, so the results are bit for bit those of the im2col chunks. Scratch (pointwiseScratchSize):
    //   ap          the operand packed for VectorConv (the weight, or its transpose for the input gradient)
    //   stage in    [terms, BLOCK]     the images' last columns side by side
    //   stage out   [rows, BLOCK]      their product
    //   (weight gradient, after the input gradient is done with the above)
    //   eT          [hw, lanes]        one image of the smaller of dy and x, transposed
    //   dT          [terms, lanes]     the weight gradient's sums over all images, transposed when lanes = Cout
    private static long pointwiseScratchSize(Geometry g) {
        int packed = Math.max(VectorConv.packedSize(g.cout(), g.cin(), 1),
                VectorConv.packedSize(g.cin(), g.cout(), 1));
        long products = packed + (long) (g.cin() + g.cout()) * VectorConv.BLOCK;
        long weightGradient = (long) g.ho() * g.wo() * Math.min(g.cin(), g.cout()) + (long) g.cin() * g.cout();
        return Math.max(products, weightGradient);
    }

    /**
     * True when the vector engine computes a 1x1 weight gradient with {@link VectorConv#correlateOuter}: the
     * smaller of Cin and Cout (the channels it puts in vector lanes) fills it ({@link #outerLanes}).
     */
    private static boolean pointwiseOuter(Geometry g) {
        return outerLanes(Math.min(g.cin(), g.cout()));
    }

    /**
     * True when an im2col weight gradient (1x1, stride 2) with this many channels in vector lanes runs
     * {@link VectorConv#correlateOuter} rather than BLAS: a multiple of two vectors, on {@link VectorConv#WIDE}
     * machines only. On AVX2 (AMD EPYC, Zen 3, 2026-12-07, {@code ./probe.sh kernels pointwise} with and without
     * it, alternating twice) OpenBLAS's Zen kernel took 0.39 to 5.3 ms where the transpose and the 6 x 2 blocks took
     * 0.74 to 8.0, at all eleven of unet-small's 1x1 and stride-2 shapes.
     */
    private static boolean outerLanes(int lanes) {
        return VectorConv.WIDE && VectorConv.outerRows(lanes) == lanes;
    }

    /**
     * dw += dY x^T of a 1x1 convolution ({@link #pointwiseOuter}): per image, the smaller of dy and x transposed
     * ([hw, lanes]: its channels in vector lanes), correlated with the other's rows by
     * {@link VectorConv#correlateOuter}; the sums over all images collect in dT and are added into dw at the end.
     */
    private static void pointwiseWeightGradient(Geometry g, float[] dy, int dyOff, float[] x, int xOff, float[] dw,
                                                int dwOff, float[] scratch) {
        int hw = g.ho() * g.wo();
        boolean lanesIn = g.cin() <= g.cout();
        int lanes = lanesIn ? g.cin() : g.cout();
        int terms = lanesIn ? g.cout() : g.cin();
        float[] t = lanesIn ? x : dy;
        int tOff = lanesIn ? xOff : dyOff;
        float[] other = lanesIn ? dy : x;
        int otherOff = lanesIn ? dyOff : xOff;
        int eT = 0;
        int dT = hw * lanes;
        java.util.Arrays.fill(scratch, dT, dT + terms * lanes, 0f);
        int[] termAt = VectorConv.termOffsets(terms, 1, hw, NO_SHIFT);
        for (int n = 0; n < g.n(); n++) {
            VectorConv.transpose(t, tOff + n * lanes * hw, hw, lanes, hw, scratch, eT);
            VectorConv.correlateOuter(lanes, terms, scratch, eT, lanes, other, otherOff + n * terms * hw, termAt,
                    scratch, dT, lanes, hw);
        }
        int cin = g.cin();
        for (int o = 0; o < g.cout(); o++) {
            for (int c = 0; c < cin; c++) {
                dw[dwOff + o * cin + c] += scratch[dT + (lanesIn ? o * lanes + c : c * lanes + o)];
            }
        }
    }

    /**
     * out = the product of the packed {@code [rows, terms]} operand with each of n images of in ({@code [terms, hw]}
     * each, from inOff) into out ({@code [rows, hw]} each, from outOff), plus b[r] when b is not null; or out += the
     * product when {@code accumulate} (b null). The staging blocks at {@code scratch[stageOff ..]},
     * {@code (terms + rows) * BLOCK} floats.
     */
    private static void pointwiseProduct(int n, int hw, int rows, int terms, float[] ap, int apOff, float[] in,
                                         int inOff, float[] out, int outOff, float[] b, int bOff, boolean accumulate,
                                         float[] scratch, int stageOff) {
        int block = VectorConv.BLOCK;
        int full = hw - hw % block;
        int tail = hw - full;
        int inImage = terms * hw;
        int outImage = rows * hw;
        if (full > 0) {
            int[] termAt = VectorConv.termOffsets(terms, 1, hw, NO_SHIFT);
            for (int i = 0; i < n; i++) {
                int image = outOff + i * outImage;
                VectorConv.product(rows, terms, ap, apOff, in, inOff + i * inImage, termAt, out, image, hw, full,
                        accumulate);
                // The bias while the image's rows are in cache (after the sums, as the im2col path adds it).
                for (int r = 0; b != null && r < rows; r++) {
                    float bias = b[bOff + r];
                    for (int p = image + r * hw, end = p + full; p < end; p++) {
                        out[p] += bias;
                    }
                }
            }
        }
        if (tail == 0) {
            return;
        }
        int stageIn = stageOff;
        int stageOut = stageOff + terms * block;
        int perStage = block / tail;
        int[] stageAt = VectorConv.termOffsets(terms, 1, block, NO_SHIFT);
        for (int i0 = 0; i0 < n; i0 += perStage) {
            int m = Math.min(perStage, n - i0);
            for (int i = 0; i < m; i++) {
                int src = inOff + (i0 + i) * inImage + full;
                for (int k = 0; k < terms; k++) {
                    System.arraycopy(in, src + k * hw, scratch, stageIn + k * block + i * tail, tail);
                }
            }
            // Columns past m * tail hold whatever scratch held; they feed only output columns never read.
            VectorConv.product(rows, terms, ap, apOff, scratch, stageIn, stageAt, scratch, stageOut, block, m * tail,
                    false);
            for (int i = 0; i < m; i++) {
                int dst = outOff + (i0 + i) * outImage + full;
                for (int r = 0; r < rows; r++) {
                    int from = stageOut + r * block + i * tail;
                    int to = dst + r * hw;
                    if (accumulate) {
                        for (int j = 0; j < tail; j++) {
                            out[to + j] += scratch[from + j];
                        }
                    } else {
                        float bias = b == null ? 0f : b[bOff + r];
                        for (int j = 0; j < tail; j++) {
                            out[to + j] = scratch[from + j] + bias;
                        }
                    }
                }
            }
        }
    }

    private static void addBias(float[] b, int bOff, float[] y, int yOff, int cout, int hw) {
        if (b == null) {
            return;
        }
        for (int o = 0; o < cout; o++) {
            float bo = b[bOff + o];
            int base = yOff + o * hw;
            for (int p = 0; p < hw; p++) {
                y[base + p] += bo;
            }
        }
    }

    /**
     * Accumulates the gradients: {@code dx += dL/dx}, {@code dw += dL/dw}, {@code db += dL/db}; any of dx, dw,
     * db may be null (not wanted); scratch holds {@link #scratchSize} floats.
     */
    public static void backward(Geometry g, Tensor dy, Tensor x, Tensor w, Tensor dx, Tensor dw, Tensor db,
                                float[] scratch) {
        backward(g, dy, x, w, dx, false, dw, db, scratch);
    }

    /**
     * As {@link #backward(Geometry, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, float[])}, but with
     * {@code setDx} dx is set ({@code dx = dL/dx}, adding to zeros but for a zero's sign) whatever it held: the
     * vector 1x1 product and Winograd write it without reading it, the other paths zero it first.
     */
    public static void backward(Geometry g, Tensor dy, Tensor x, Tensor w, Tensor dx, boolean setDx, Tensor dw,
                                Tensor db, float[] scratch) {
        g.requireBackward(dy, x, w, dx, dw, db, scratch, scratchSize(g));
        boolean vector = ShiftedConv.Engine.DEFAULT == ShiftedConv.Engine.VECTOR;
        boolean winograd = winograd(ShiftedConv.Engine.DEFAULT, g);
        // Only Winograd and the vector 1x1 product below can write dx; every other path adds to it.
        if (setDx && dx != null && !(g.isPointwise() && vector) && !winograd) {
            java.util.Arrays.fill(dx.data(), dx.offset(), dx.offset() + g.n() * g.cin() * g.h() * g.w(), 0f);
            setDx = false;
        }
        if (db != null) {
            biasGradient(g, dy.data(), dy.offset(), db.data(), db.offset());
        }
        if (dx == null && dw == null) {
            return;
        }
        if (winograd) {
            // The input gradient is a convolution; the weight gradient runs the transformed products backwards.
            if (dw != null) {
                Winograd.weightGradient(g, dy.data(), dy.offset(), x.data(), x.offset(), dw.data(), dw.offset(),
                        scratch);
            }
            if (dx != null) {
                Winograd.inputGradient(g, dy.data(), dy.offset(), w.data(), w.offset(), dx.data(), dx.offset(),
                        setDx, scratch);
            }
            return;
        }
        if (g.usesShiftedGemm()) {
            ShiftedConv.backward(g, dy, x, w, dx, dw, scratch);
            return;
        }
        if (g.isPointwise()) {
            if (dx != null && vector) {
                // dx += W^T dY (dx = with setDx): the forward's product with the weight transposed (a[c, o] = w[o, c]).
                VectorConv.pack(g.cin(), g.cout(), 1, w.data(), w.offset(), 1, g.cin(), 1, scratch, 0);
                pointwiseProduct(g.n(), g.ho() * g.wo(), g.cin(), g.cout(), scratch, 0, dy.data(), dy.offset(),
                        dx.data(), dx.offset(), null, 0, !setDx, scratch,
                        VectorConv.packedSize(g.cin(), g.cout(), 1));
                dx = null;
                if (dw == null) {
                    return;
                }
            }
            if (dw != null && vector && pointwiseOuter(g)) {
                pointwiseWeightGradient(g, dy.data(), dy.offset(), x.data(), x.offset(), dw.data(), dw.offset(),
                        scratch);
                dw = null;
                if (dx == null) {
                    return;
                }
            }
            backwardPointwise(g, dy.data(), dy.offset(), x.data(), x.offset(), w.data(), w.offset(),
                    dx == null ? null : dx.data(), dx == null ? 0 : dx.offset(), dw == null ? null : dw.data(),
                    dw == null ? 0 : dw.offset());
            return;
        }
        if (vector) {
            backwardVector(g, dy.data(), dy.offset(), x.data(), x.offset(), w.data(), w.offset(),
                    dx == null ? null : dx.data(), dx == null ? 0 : dx.offset(), dw == null ? null : dw.data(),
                    dw == null ? 0 : dw.offset(), scratch);
            return;
        }
        backward(g, dy.data(), dy.offset(), x.data(), x.offset(), w.data(), w.offset(), dx == null ? null : dx.data(),
                dx == null ? 0 : dx.offset(), dw == null ? null : dw.data(), dw == null ? 0 : dw.offset(), scratch);
    }

    static void biasGradient(Geometry g, float[] dy, int dyOff, float[] db, int dbOff) {
        int hw = g.ho() * g.wo();
        int outImage = g.cout() * hw;
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cout(); o++) {
                db[dbOff + o] += Reduce.sum(dy, dyOff + n * outImage + o * hw, hw);
            }
        }
    }

    /**
     * {@link #backward}'s dx and dw (either may be null, not both) of a 1x1, stride-1, unpadded convolution on BLAS
     * (the GEMM engine's, and the vector engine's weight gradient where {@link #pointwiseOuter} does not hold): x is
     * its own col, so per image {@code dW += dY x^T} and {@code dx += W^T dY} with no copies and no scratch
     * (measured 1.0-1.6x faster than batching images into one wider product, most at 7x7).
     */
    private static void backwardPointwise(Geometry g, float[] dy, int dyOff, float[] x, int xOff, float[] w,
                                          int wOff, float[] dx, int dxOff, float[] dw, int dwOff) {
        int hw = g.ho() * g.wo();
        int cin = g.cin();
        int inImage = cin * hw;
        int outImage = g.cout() * hw;
        for (int n = 0; n < g.n(); n++) {
            int dyN = dyOff + n * outImage;
            if (dw != null) {
                Gemm.sgemm(false, true, g.cout(), cin, hw, 1f, dy, dyN, hw, x, xOff + n * inImage, hw, 1f, dw, dwOff,
                        cin);
            }
            if (dx != null) {
                Gemm.sgemm(true, false, cin, hw, g.cout(), 1f, w, wOff, cin, dy, dyN, hw, 1f, dx, dxOff + n * inImage,
                        hw);
            }
        }
    }

    // The vector engine's im2col backward (stride 2), per chunk of B images (cp = vectorColumns):
    //   dyc  [Cout, cp]     dy of the chunk, images side by side
    //   col  [K, cp]        im2col of the chunk (weight gradient)
    //   dcol [K, cp]        product(a = w transposed, in = dyc) (input gradient), added back by col2im
    //   ap                  w transposed, packed for VectorConv
    //   dyT [B*Ho*Wo, Cout], dwT [K, Cout]   dyc transposed and the weight gradient transposed, when Cout fills
    //                       correlateOuter's lanes (outerLanes(Cout), AVX-512 only); BLAS on dyc and col otherwise
    private static long vectorBackwardScratchSize(Geometry g) {
        long cp = vectorColumns(g);
        long outer = outerLanes(g.cout()) ? g.cout() : 0;
        return (long) g.cout() * cp + 2L * g.k() * cp + VectorConv.packedSize(g.k(), g.cout(), 1)
                + outer * ((long) g.chunk() * g.ho() * g.wo() + g.k());
    }

    /**
     * The im2col backward on the vector engine: the input gradient is {@link VectorConv#product} with the weight
     * transposed, the weight gradient {@link VectorConv#correlateOuter} with dy transposed into the lanes (or BLAS
     * where Cout does not fill them).
     */
    private static void backwardVector(Geometry g, float[] dy, int dyOff, float[] x, int xOff, float[] w, int wOff,
                                       float[] dx, int dxOff, float[] dw, int dwOff, float[] scratch) {
        int k = g.k();
        int cout = g.cout();
        int hw = g.ho() * g.wo();
        int inImage = g.cin() * g.h() * g.w();
        int outImage = cout * hw;
        int chunk = g.chunk();
        int cp = vectorColumns(g);
        int dycOff = 0;
        int colOff = cout * cp;
        int dcolOff = colOff + k * cp;
        int apOff = dcolOff + k * cp;
        int dyTOff = apOff + VectorConv.packedSize(k, cout, 1);
        boolean outer = outerLanes(cout);
        int dwTOff = dyTOff + (outer ? chunk * hw * cout : 0);
        if (dx != null) {
            // a[k, o] = w[o, k]: the input gradient sums over output channels.
            VectorConv.pack(k, cout, 1, w, wOff, 1, k, 1, scratch, apOff);
        }
        if (dw != null && outer) {
            java.util.Arrays.fill(scratch, dwTOff, dwTOff + k * cout, 0f);
        }
        int[] dyAt = VectorConv.termOffsets(cout, 1, cp, NO_SHIFT);
        int[] colAt = VectorConv.termOffsets(k, 1, cp, NO_SHIFT);
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            int cols = nb * hw;
            for (int i = 0; i < nb; i++) {
                int src = dyOff + (n0 + i) * outImage;
                for (int o = 0; o < cout; o++) {
                    System.arraycopy(dy, src + o * hw, scratch, dycOff + o * cp + i * hw, hw);
                }
            }
            if (dw != null) {
                for (int i = 0; i < nb; i++) {
                    im2col(g, x, xOff + (n0 + i) * inImage, scratch, colOff + i * hw, cp);
                }
                if (outer) {
                    VectorConv.transpose(scratch, dycOff, cp, cout, cols, scratch, dyTOff);
                    VectorConv.correlateOuter(cout, k, scratch, dyTOff, cout, scratch, colOff, colAt, scratch, dwTOff,
                            cout, cols);
                } else {
                    Gemm.sgemm(false, true, cout, k, cols, 1f, scratch, dycOff, cp, scratch, colOff, cp, 1f, dw,
                            dwOff, k);
                }
            }
            if (dx != null) {
                // Columns past cols read whatever dyc held there; they feed only dcol columns col2im never reads.
                VectorConv.product(k, cout, scratch, apOff, scratch, dycOff, dyAt, scratch, dcolOff, cp, cols, false);
                for (int i = 0; i < nb; i++) {
                    col2im(g, scratch, dcolOff + i * hw, cp, dx, dxOff + (n0 + i) * inImage);
                }
            }
        }
        if (dw != null && outer) {
            for (int o = 0; o < cout; o++) {
                for (int j = 0; j < k; j++) {
                    dw[dwOff + o * k + j] += scratch[dwTOff + j * cout + o];
                }
            }
        }
    }

    /** The im2col path of {@link #backward} for dx and dw (either may be null, not both). */
    private static void backward(Geometry g, float[] dy, int dyOff, float[] x, int xOff, float[] w, int wOff,
                                 float[] dx, int dxOff, float[] dw, int dwOff, float[] scratch) {
        int k = g.k();
        int hw = g.ho() * g.wo();
        int inImage = g.cin() * g.h() * g.w();
        int outImage = g.cout() * hw;
        int chunk = g.chunk();
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            int cols = nb * hw;
            int dyMatOff = k * cols;
            int dcolOff = dyMatOff + g.cout() * cols;
            float[] dyMat = scratch;
            if (nb == 1) {
                dyMat = dy;
                dyMatOff = dyOff + n0 * outImage;
            } else {
                for (int i = 0; i < nb; i++) {
                    int src = dyOff + (n0 + i) * outImage;
                    for (int o = 0; o < g.cout(); o++) {
                        System.arraycopy(dy, src + o * hw, scratch, dyMatOff + o * cols + i * hw, hw);
                    }
                }
            }
            if (dw != null) {
                for (int i = 0; i < nb; i++) {
                    im2col(g, x, xOff + (n0 + i) * inImage, scratch, i * hw, cols);
                }
                Gemm.sgemm(false, true, g.cout(), k, cols, 1f, dyMat, dyMatOff, cols, scratch, 0, cols,
                        1f, dw, dwOff, k);
            }
            if (dx != null) {
                Gemm.sgemm(true, false, k, cols, g.cout(), 1f, w, wOff, k, dyMat, dyMatOff, cols,
                        0f, scratch, dcolOff, cols);
                for (int i = 0; i < nb; i++) {
                    col2im(g, scratch, dcolOff + i * hw, cols, dx, dxOff + (n0 + i) * inImage);
                }
            }
        }
    }

    /** Writes one image's columns: {@code col[colOff + r*ldCol + (i*Wo + j)]} for row r = (c, u, v). */
    static void im2col(Geometry g, float[] x, int xOff, float[] col, int colOff, int ldCol) {
        int h = g.h();
        int w = g.w();
        int ho = g.ho();
        int wo = g.wo();
        int s = g.stride();
        int pad = g.pad();
        int row = 0;
        for (int c = 0; c < g.cin(); c++) {
            int plane = xOff + c * h * w;
            for (int u = 0; u < g.kh(); u++) {
                for (int v = 0; v < g.kw(); v++, row++) {
                    int dst = colOff + row * ldCol;
                    // Output columns j whose input column j*s - pad + v lies inside [0, w).
                    int jLo = Math.max(0, ceilDiv(pad - v, s));
                    int jHi = Math.min(wo, floorDiv(w - 1 + pad - v, s) + 1);
                    for (int i = 0; i < ho; i++, dst += wo) {
                        int iy = i * s - pad + u;
                        if (iy < 0 || iy >= h || jHi <= jLo) {
                            java.util.Arrays.fill(col, dst, dst + wo, 0f);
                            continue;
                        }
                        for (int j = 0; j < jLo; j++) {
                            col[dst + j] = 0f;
                        }
                        int src = plane + iy * w - pad + v;
                        if (s == 1) {
                            System.arraycopy(x, src + jLo, col, dst + jLo, jHi - jLo);
                        } else {
                            for (int j = jLo; j < jHi; j++) {
                                col[dst + j] = x[src + j * s];
                            }
                        }
                        for (int j = jHi; j < wo; j++) {
                            col[dst + j] = 0f;
                        }
                    }
                }
            }
        }
    }

    /** Adds one image's column gradients back onto the image: the adjoint of {@link #im2col}. */
    static void col2im(Geometry g, float[] col, int colOff, int ldCol, float[] dx, int dxOff) {
        int h = g.h();
        int w = g.w();
        int ho = g.ho();
        int wo = g.wo();
        int s = g.stride();
        int pad = g.pad();
        int row = 0;
        for (int c = 0; c < g.cin(); c++) {
            int plane = dxOff + c * h * w;
            for (int u = 0; u < g.kh(); u++) {
                for (int v = 0; v < g.kw(); v++, row++) {
                    int src = colOff + row * ldCol;
                    int jLo = Math.max(0, ceilDiv(pad - v, s));
                    int jHi = Math.min(wo, floorDiv(w - 1 + pad - v, s) + 1);
                    for (int i = 0; i < ho; i++, src += wo) {
                        int iy = i * s - pad + u;
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        int dst = plane + iy * w - pad + v;
                        if (s == 1) {
                            for (int j = jLo; j < jHi; j++) {
                                dx[dst + j] += col[src + j];
                            }
                        } else {
                            for (int j = jLo; j < jHi; j++) {
                                dx[dst + j * s] += col[src + j];
                            }
                        }
                    }
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    private static int floorDiv(int a, int b) {
        return Math.floorDiv(a, b);
    }
}
