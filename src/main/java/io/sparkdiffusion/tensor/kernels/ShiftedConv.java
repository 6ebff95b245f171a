package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * Stride-1 convolution as kh*kw shifted GEMMs over a zero-padded copy of the input, with no im2col.
 *
 * <pre>
 * Wp = W + pad, Hp = H + pad   padded row width and image height: the pad zero columns after each row also serve
 *                              as the left padding of the next row, the pad zero rows after each image as the top
 *                              padding of the next image (needs pad &lt;= kh-1 and pad &lt;= kw-1)
 * lead = pad*Wp + pad          zeros before the first pixel (top and left padding of image 0)
 * xp  [Cin, cs]     B images one below the other, pixel (b, i, j) at lead + b*Hp*Wp + i*Wp + j, zeros elsewhere;
 *                   cs = Q + (kh-1)*Wp + kw - 1, so every shifted read stays inside the channel
 * wr  [kh*kw, Cout, Cin]   wr[u*kw+v][o][c] = w[o][c][u][v]
 * yw  [Cout, Q]     "wide" output: column q = b*Hp*Wp + i*Wp + j is output (i, j) of image b when i &lt; Ho and
 *                   j &lt; Wo; other columns are garbage. Q = (B-1)*Hp*Wp + Ho*Wp
 * yw = sum_{u,v} wr[u,v] xp[:, q + u*Wp + v]        (one GEMM per tap, k = Cin)
 * backward: dyw = dy spread into wide columns (garbage = 0)
 *   dwr[u,v] += dyw xp[:, . + u*Wp + v]^T          dxp[:, . + u*Wp + v] += wr[u,v]^T dyw
 * </pre>
 *
 * <p>A 3x3 im2col would copy the input nine times; here the copy is ~1.1 times the input and each tap's GEMM
 * reads it from cache, at the price of computing the garbage columns: (H+pad)(W+pad)/(HW) - 1, 7% at 28x28,
 * 15% at 14x14, 31% at 7x7 (sharing the padding between neighbours halves what separate (H+2)(W+2) planes cost).
 *
 * <p>The same three sums, with all taps at once, are {@link VectorConv}'s product and correlation: the forward is
 * product(a = w, in = xp, shifts +u*Wp+v), the input gradient is product(a = w transposed, in = dyw, shifts
 * -(u*Wp+v)) into dxp, and the weight gradient is correlate(e = dyw, in = xp), mostly
 * {@link VectorConv#correlateOuter} (output channels in vector lanes, dy transposed). Which {@link Engine} runs them is
 * chosen once; the vector engine's buffers are rounded up to whole blocks (layout beside its methods below).
 *
 * <p>Where rows are 7 pixels wide (the garbage a third of the columns) the vector engine's forward and input
 * gradient run {@link VectorConv#productChannels} instead, over the same padded layout and term offsets: output
 * channels in vector lanes, only the pixels computed, the same bits ({@link #channelLanes},
 * {@link #PRODUCT_PROPERTY}).
 *
 * <p>The entry points take {@link Tensor} views and a {@link Conv2d.Geometry}, checked as {@link Conv2d}'s are.
 */
final class ShiftedConv {
    /**
     * The system property that picks the {@link Engine}: {@code auto} (default), {@code vector}, {@code winograd}
     * (the vector engine, with {@link Winograd} for every 3x3 padding-1 convolution) or {@code gemm}.
     */
    static final String ENGINE_PROPERTY = "sparkdiffusion.conv";

    /**
     * What computes the shifted products. GEMM: one BLAS sgemm per tap, k = Cin. VECTOR: {@link VectorConv}, all
     * taps in one pass with the accumulators in vector registers and no packing of the input, about twice the
     * speed of OpenBLAS's AVX2 kernel where the JVM has AVX-512. {@code auto} takes VECTOR when the module
     * {@code jdk.incubator.vector} is loaded ({@code --add-modules=jdk.incubator.vector}) and vectors hold at
     * least 8 floats, GEMM otherwise; the choice is logged once.
     */
    enum Engine {
        GEMM, VECTOR;

        static final Engine DEFAULT = VectorChoice.useVector(ENGINE_PROPERTY, "stride-1 convolutions", "gemm",
                "one BLAS sgemm per kernel tap", Winograd.PROPERTY_VALUE) ? VECTOR : GEMM;
    }

    private ShiftedConv() {
    }

    /** Images per GEMM: enough to give {@link Conv2d#TARGET_COLUMNS} wide columns. */
    static int chunk(Conv2d.Geometry g) {
        return Math.min(g.n(), Math.max(1, Conv2d.TARGET_COLUMNS / plane(g)));
    }

    /** True when the shared-padding layout holds: the padding is at most kernel size - 1 on both axes. */
    static boolean supports(Conv2d.Geometry g) {
        return g.pad() <= g.kh() - 1 && g.pad() <= g.kw() - 1;
    }

    private static int rowWidth(Conv2d.Geometry g) {
        return g.w() + g.pad();
    }

    private static int plane(Conv2d.Geometry g) {
        return (g.h() + g.pad()) * rowWidth(g);
    }

    private static int lead(Conv2d.Geometry g) {
        return g.pad() * rowWidth(g) + g.pad();
    }

    private static int channelStride(Conv2d.Geometry g, int nb) {
        return wideColumns(g, nb) + (g.kh() - 1) * rowWidth(g) + g.kw() - 1;
    }

    private static int wideColumns(Conv2d.Geometry g, int nb) {
        return (nb - 1) * plane(g) + g.ho() * rowWidth(g);
    }

    static long scratchSize(Conv2d.Geometry g) {
        return scratchSize(Engine.DEFAULT, g);
    }

    static long scratchSize(Engine engine, Conv2d.Geometry g) {
        if (engine == Engine.VECTOR) {
            return vectorScratchSize(g);
        }
        int nb = chunk(g);
        long xp = (long) g.cin() * channelStride(g, nb);
        long yw = (long) g.cout() * wideColumns(g, nb);
        long w = (long) g.k() * g.cout();
        return 2 * xp + yw + 2 * w;
    }

    /** Throws unless g is a stride-1 convolution whose padding is at most kernel size - 1 ({@link #supports}). */
    private static void requireSupported(Conv2d.Geometry g) {
        if (g.stride() != 1 || !supports(g)) {
            throw new IllegalArgumentException("shifted convolution needs stride 1 and padding <= kernel size - 1, got "
                    + g);
        }
    }

    /** y = conv(x, w) + b; y is overwritten; b may be null; scratch holds {@link #scratchSize} floats. */
    static void forward(Conv2d.Geometry g, Tensor x, Tensor w, Tensor b, Tensor y, float[] scratch) {
        forward(Engine.DEFAULT, g, x, w, b, y, scratch);
    }

    static void forward(Engine engine, Conv2d.Geometry g, Tensor x, Tensor w, Tensor b, Tensor y, float[] scratch) {
        requireSupported(g);
        g.requireForward(x, w, b, y, scratch, scratchSize(engine, g));
        float[] bd = b == null ? null : b.data();
        int bOff = b == null ? 0 : b.offset();
        if (engine == Engine.VECTOR) {
            forwardVector(g, x.data(), x.offset(), w.data(), w.offset(), bd, bOff, y.data(), y.offset(), scratch);
        } else {
            forwardGemm(g, x.data(), x.offset(), w.data(), w.offset(), bd, bOff, y.data(), y.offset(), scratch);
        }
    }

    private static void forwardGemm(Conv2d.Geometry g, float[] x, int xOff, float[] w, int wOff, float[] b,
                                    int bOff, float[] y, int yOff, float[] scratch) {
        int chunk = chunk(g);
        int taps = g.kh() * g.kw();
        int cs = channelStride(g, chunk);
        int xpOff = 0;
        int ywOff = g.cin() * cs;
        int wrOff = ywOff + g.cout() * wideColumns(g, chunk);
        int[] shifts = tapShifts(g, 1);
        repackWeights(g, w, wOff, scratch, wrOff);
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            int q = wideColumns(g, nb);
            pad(g, x, xOff, n0, nb, scratch, xpOff, cs);
            // The bias seeds the accumulator, so every tap adds (beta = 1) and the copy-out is plain row copies.
            for (int o = 0; o < g.cout(); o++) {
                Arrays.fill(scratch, ywOff + o * q, ywOff + (o + 1) * q, b == null ? 0f : b[bOff + o]);
            }
            for (int t = 0; t < taps; t++) {
                Gemm.sgemm(false, false, g.cout(), q, g.cin(), 1f, scratch, wrOff + t * g.cout() * g.cin(), g.cin(),
                        scratch, xpOff + shifts[t], cs, 1f, scratch, ywOff, q);
            }
            unpadOutput(false, g, scratch, ywOff, q, n0, nb, null, 0, y, yOff);
        }
    }

    /** Accumulates dx and dw (either may be null); the bias gradient is {@link Conv2d#backward}'s. */
    static void backward(Conv2d.Geometry g, Tensor dy, Tensor x, Tensor w, Tensor dx, Tensor dw, float[] scratch) {
        backward(Engine.DEFAULT, g, dy, x, w, dx, dw, scratch);
    }

    static void backward(Engine engine, Conv2d.Geometry g, Tensor dy, Tensor x, Tensor w, Tensor dx, Tensor dw,
                         float[] scratch) {
        requireSupported(g);
        g.requireBackward(dy, x, w, dx, dw, null, scratch, scratchSize(engine, g));
        float[] dxd = dx == null ? null : dx.data();
        int dxOff = dx == null ? 0 : dx.offset();
        float[] dwd = dw == null ? null : dw.data();
        int dwOff = dw == null ? 0 : dw.offset();
        if (engine == Engine.VECTOR) {
            backwardVector(g, dy.data(), dy.offset(), x.data(), x.offset(), w.data(), w.offset(), dxd, dxOff, dwd,
                    dwOff, scratch);
        } else {
            backwardGemm(g, dy.data(), dy.offset(), x.data(), x.offset(), w.data(), w.offset(), dxd, dxOff, dwd,
                    dwOff, scratch);
        }
    }

    private static void backwardGemm(Conv2d.Geometry g, float[] dy, int dyOff, float[] x, int xOff, float[] w,
                                     int wOff, float[] dx, int dxOff, float[] dw, int dwOff, float[] scratch) {
        int chunk = chunk(g);
        int taps = g.kh() * g.kw();
        int cs = channelStride(g, chunk);
        int xpOff = 0;
        int dywOff = g.cin() * cs;
        int dxpOff = dywOff + g.cout() * wideColumns(g, chunk);
        int wrOff = dxpOff + g.cin() * cs;
        int dwrOff = wrOff + g.k() * g.cout();
        int taps3 = g.cout() * g.cin();
        int[] shifts = tapShifts(g, 1);
        repackWeights(g, w, wOff, scratch, wrOff);
        if (dw != null) {
            Arrays.fill(scratch, dwrOff, dwrOff + g.k() * g.cout(), 0f);
        }
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            int q = wideColumns(g, nb);
            Arrays.fill(scratch, dywOff, dywOff + g.cout() * q, 0f);
            spreadGradient(false, g, dy, dyOff, n0, nb, scratch, dywOff, q);
            if (dw != null) {
                pad(g, x, xOff, n0, nb, scratch, xpOff, cs);
                for (int t = 0; t < taps; t++) {
                    Gemm.sgemm(false, true, g.cout(), g.cin(), q, 1f, scratch, dywOff, q, scratch, xpOff + shifts[t], cs,
                            1f, scratch, dwrOff + t * taps3, g.cin());
                }
            }
            if (dx != null) {
                Arrays.fill(scratch, dxpOff, dxpOff + g.cin() * cs, 0f);
                for (int t = 0; t < taps; t++) {
                    Gemm.sgemm(true, false, g.cin(), q, g.cout(), 1f, scratch, wrOff + t * taps3, g.cin(),
                            scratch, dywOff, q, 1f, scratch, dxpOff + shifts[t], cs);
                }
                addImages(g, planes(g, scratch, dxpOff, cs), n0, nb, dx, dxOff);
            }
        }
        if (dw != null) {
            for (int o = 0; o < g.cout(); o++) {
                for (int c = 0; c < g.cin(); c++) {
                    int base = dwOff + o * g.k() + c * taps;
                    for (int t = 0; t < taps; t++) {
                        dw[base + t] += scratch[dwrOff + t * taps3 + o * g.cin() + c];
                    }
                }
            }
        }
    }

    /**
     * y for images n0 .. n0+nb-1 = the valid columns of the wide output yw [Cout, rowStride], plus b[o] when b is
     * not null (the vector engine adds the bias here; the GEMM engine seeds yw with it and passes null). {@code
     * vector}: the rows through {@link VectorRows} (only where the Vector API module is loaded, as on the vector
     * engine's paths), the only path that takes a bias.
     */
    private static void unpadOutput(boolean vector, Conv2d.Geometry g, float[] yw, int ywOff, int rowStride, int n0,
                                    int nb, float[] b, int bOff, float[] y, int yOff) {
        if (!vector && b != null) {
            throw new IllegalArgumentException("unpadOutput adds a bias only on the vector path; the GEMM path "
                    + "seeds the wide output with it and passes null");
        }
        int wp = rowWidth(g);
        int plane = plane(g);
        int hw = g.ho() * g.wo();
        int wo = g.wo();
        for (int i = 0; i < nb; i++) {
            for (int o = 0; o < g.cout(); o++) {
                int dst = yOff + ((n0 + i) * g.cout() + o) * hw;
                int src = ywOff + o * rowStride + i * plane;
                if (b == null) {
                    Rows.copy(vector, yw, src, wp, y, dst, wo, g.ho(), wo);
                } else {
                    VectorRows.copyPlus(yw, src, wp, y, dst, wo, g.ho(), wo, b[bOff + o]);
                }
            }
        }
    }

    /**
     * Copies dy of images n0 .. n0+nb-1 into the valid columns of dyw [Cout, rowStride]; the rest is untouched.
     * {@code vector} as in {@link #unpadOutput}.
     */
    private static void spreadGradient(boolean vector, Conv2d.Geometry g, float[] dy, int dyOff, int n0, int nb,
                                       float[] dyw, int dywOff, int rowStride) {
        int wp = rowWidth(g);
        int plane = plane(g);
        int hw = g.ho() * g.wo();
        for (int i = 0; i < nb; i++) {
            for (int o = 0; o < g.cout(); o++) {
                int src = dyOff + ((n0 + i) * g.cout() + o) * hw;
                int dst = dywOff + o * rowStride + i * plane;
                Rows.copy(vector, dy, src, g.wo(), dyw, dst, wp, g.ho(), g.wo());
            }
        }
    }

    /** Column offset of each tap in the padded layout: tap t = u*kw + v reads u rows down and v columns right. */
    static int[] tapShifts(Conv2d.Geometry g, int sign) {
        int[] shifts = new int[g.kh() * g.kw()];
        for (int t = 0; t < shifts.length; t++) {
            shifts[t] = sign * ((t / g.kw()) * rowWidth(g) + t % g.kw());
        }
        return shifts;
    }

    private static int maxShift(Conv2d.Geometry g) {
        return (g.kh() - 1) * rowWidth(g) + g.kw() - 1;
    }

    // Vector engine layout (whole blocks of VectorConv.BLOCK columns, zeros wherever a block reads past the data):
    //   yws = roundUp(Q(chunk), BLOCK)             row stride of yw, and columns computed per forward
    //   vcs = yws + roundUp(maxShift, BLOCK)       row stride of xp and dxp: forward reads xp up to yws + maxShift,
    //                                              the input gradient computes dxp up to roundUp(Q + maxShift, BLOCK)
    //   dyw [Cout, maxShift + vcs]                 dy at columns maxShift .. maxShift + Q, zeros before and after,
    //                                              so the input gradient's reads p - shift stay inside and read zeros
    //   dyT [Q(chunk), outer], dwT [K, outer]      outer = VectorConv.outerRows(Cout): dy's first outer rows
    //                                              transposed, and their weight gradient transposed (backward only)
    static int vectorOutputStride(Conv2d.Geometry g) {
        return VectorConv.roundUp(wideColumns(g, chunk(g)), VectorConv.BLOCK);
    }

    static int vectorChannelStride(Conv2d.Geometry g) {
        return vectorOutputStride(g) + VectorConv.roundUp(maxShift(g), VectorConv.BLOCK);
    }

    private static long vectorScratchSize(Conv2d.Geometry g) {
        long xp = (long) g.cin() * vectorChannelStride(g);
        long forward = xp + (long) g.cout() * vectorOutputStride(g)
                + VectorConv.packedSize(g.cout(), g.cin(), g.kh() * g.kw());
        long backward = 2 * xp + (long) g.cout() * (maxShift(g) + vectorChannelStride(g))
                + VectorConv.packedSize(g.cin(), g.cout(), g.kh() * g.kw())
                + (long) VectorConv.outerRows(g.cout()) * (wideColumns(g, chunk(g)) + g.k())
                + (long) VectorConv.CHANNEL_COLUMNS * VectorConv.CHANNEL_ROWS;
        return Math.max(forward, backward);
    }

    private static void forwardVector(Conv2d.Geometry g, float[] x, int xOff, float[] w, int wOff, float[] b,
                                      int bOff, float[] y, int yOff, float[] scratch) {
        forwardVector(g, chunkInput(g, x, xOff, scratch), w, wOff, b, bOff, y, yOff, scratch);
    }

    /**
     * Where each chunk's padded input lies: chunk n0's block (Cin rows of {@code stride} columns) at
     * {@code offset + (n0 / chunk) * blockStep}; {@code fill}, when not null, writes the chunk's images into it
     * (planes that hold image n0 first), zeros around them ({@link #fill}). A chunk-local copy has blockStep 0
     * (every chunk reuses one block); a whole batch's, written once and read again by backward, has one block per
     * chunk.
     */
    private record PaddedInput(float[] data, int offset, int stride, int blockStep, ChunkImages fill) {
        int start(Conv2d.Geometry g, int n0) {
            return offset + n0 / chunk(g) * blockStep;
        }

        /**
         * Writes chunk n0's images into its block, which then holds what a zeroed block with the images written
         * into it holds: a block per chunk is zeroed whole, a chunk-local block as {@link #clearForChunk} says.
         */
        void fill(Conv2d.Geometry g, int n0, int nb) {
            if (fill != null) {
                int from = start(g, n0);
                if (blockStep != 0) {
                    Arrays.fill(data, from, from + g.cin() * stride, 0f);
                } else {
                    clearForChunk(g, n0, nb, data, from, g.cin(), stride, lead(g));
                }
                fill.run(n0, nb, planes(g, data, from, stride));
            }
        }
    }

    /**
     * Readies a chunk-local block of a padded layout ({@code rows} rows {@code stride} floats apart from
     * {@code from}, image k's plane at {@code first + k*plane} in its row) for chunk n0's images, which reach only
     * the planes' interiors, so the zeros around them stay once written: at the call's first chunk (n0 = 0, where
     * every call's loop starts) the block is zeroed whole; after that only a short last chunk needs zeroing, past
     * its image nb-1's plane, where the full chunks before it wrote their later images.
     */
    private static void clearForChunk(Conv2d.Geometry g, int n0, int nb, float[] data, int from, int rows,
                                      int stride, int first) {
        if (n0 == 0) {
            Arrays.fill(data, from, from + rows * stride, 0f);
            return;
        }
        if (nb == chunk(g)) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            int row = from + r * stride;
            Arrays.fill(data, row + first + nb * plane(g), row + stride, 0f);
        }
    }

    /** Images n0 .. n0+nb-1 of a padded layout, written or read through planes that hold image n0 first. */
    interface ChunkImages {
        void run(int n0, int nb, GroupNormSilu.Planes planes);
    }

    /** The interior of a padded layout whose chunk starts at column {@code start}, channels {@code cs} apart. */
    private static GroupNormSilu.Planes planes(Conv2d.Geometry g, float[] data, int start, int cs) {
        return new GroupNormSilu.Planes(data, start + lead(g), plane(g), cs, rowWidth(g), g.w());
    }

    /** The chunk-local padded copy of x at the front of scratch (zeroed, then the images' rows). */
    private static PaddedInput chunkInput(Conv2d.Geometry g, float[] x, int xOff, float[] scratch) {
        return chunkInput(g, scratch, (n0, nb, planes) -> copyImages(true, g, x, xOff, n0, nb, planes));
    }

    /** A chunk-local padded block at the front of scratch, written by {@code fill} for each chunk, zeros around. */
    private static PaddedInput chunkInput(Conv2d.Geometry g, float[] scratch, ChunkImages fill) {
        return new PaddedInput(scratch, 0, vectorChannelStride(g), 0, fill);
    }

    /**
     * True when the vector forward of g runs {@link VectorConv#productChannels} (output channels in vector lanes,
     * only the output's own columns computed) instead of {@link VectorConv#product} over the layout's whole blocks:
     * on 16-lane machines, for outputs 7 pixels wide ({@link VectorConv#CHANNEL_COLUMNS}) whose channels fill
     * blocks of {@link VectorConv#CHANNEL_ROWS}, where the shared layout's padding column and row and the rounding
     * to blocks of 48 columns make a third of the columns product's work. Measured in one JVM, the two alternating
     * ({@code ./probe.sh kernels channels}): 10 to 20 % faster at 7x7 in two runs of three (up to 10 % slower in the
     * third, beside a training run), level at 14x14, slower at 28x28 (docs/engine.md). The same bits either way: every
     * output sums the same terms in the same order.
     */
    static boolean channelLanes(Conv2d.Geometry g) {
        return Product.DEFAULT.channels(g.cout(), g.wo());
    }

    /** {@link #channelLanes} for the input gradient, whose product's rows are the input channels. */
    static boolean channelLanesBackward(Conv2d.Geometry g) {
        return Product.DEFAULT.channels(g.cin(), g.w());
    }

    /**
     * The system property that picks the vector engine's product for the forward and the input gradient:
     * {@code auto} (default; {@link #channelLanes}'s rule), {@code columns} ({@link VectorConv#product} everywhere)
     * or {@code channels} ({@link VectorConv#productChannels} wherever its blocks fit, at any width; 16-float
     * vectors only). The same bits whichever runs; it is there to measure one against the other.
     */
    static final String PRODUCT_PROPERTY = "sparkdiffusion.conv.product";

    /** {@link #PRODUCT_PROPERTY}'s choice, read once (on the vector engine's first product) and logged. */
    enum Product {
        AUTO, COLUMNS, CHANNELS;

        static final Product DEFAULT = logged(parse(System.getProperty(PRODUCT_PROPERTY, "auto")));

        boolean channels(int rows, int width) {
            return this != COLUMNS && channelLanesFit(rows, width)
                    && (this == CHANNELS || width == VectorConv.CHANNEL_COLUMNS);
        }

        /** The choice a value of {@link #PRODUCT_PROPERTY} names; throws for any other value. */
        static Product parse(String value) {
            String mode = value.trim().toLowerCase(Locale.ROOT);
            Product p = switch (mode) {
                case "auto" -> AUTO;
                case "columns" -> COLUMNS;
                case "channels" -> CHANNELS;
                default -> throw new IllegalArgumentException(PRODUCT_PROPERTY
                        + " must be one of auto, columns, channels; got '" + mode + "'");
            };
            if (p == CHANNELS && !VectorConv.CHANNEL_LANES) {
                throw new IllegalStateException(PRODUCT_PROPERTY + "=channels needs 16-float vectors (AVX-512); "
                        + "this JVM's hold " + VectorConv.LANES);
            }
            return p;
        }

        private static Product logged(Product p) {
            String what = switch (p) {
                case AUTO -> VectorConv.CHANNEL_LANES ? "output channels in vector lanes for rows of 7 pixels and "
                        + "multiples of 64 channels, columns in lanes elsewhere" : "columns in vector lanes (the "
                        + "channel-lanes product needs 16-float vectors)";
                case COLUMNS -> "columns in vector lanes everywhere";
                case CHANNELS -> "output channels in vector lanes wherever rows are multiples of 7 pixels and "
                        + "channels of 64";
            };
            System.getLogger(ShiftedConv.class.getName()).log(System.Logger.Level.INFO,
                    "spark-diffusion convolution products: " + what + " (" + PRODUCT_PROPERTY + "="
                            + p.name().toLowerCase(Locale.ROOT) + ")");
            return p;
        }
    }

    /** True when a product of this many rows over rows of this many pixels is whole channel-lanes blocks. */
    private static boolean channelLanesFit(int rows, int width) {
        return VectorConv.CHANNEL_LANES && rows % VectorConv.CHANNEL_ROWS == 0
                && width % VectorConv.CHANNEL_COLUMNS == 0;
    }

    private static void requireChannelLanes(boolean channels, int rows, int width, String what, Conv2d.Geometry g) {
        if (channels && !channelLanesFit(rows, width)) {
            // The blocks are 4 vectors of channels, so 64 channels where they run (16-float vectors).
            throw new IllegalArgumentException("the channel-lanes " + what + " needs 16-float vectors (this JVM's hold "
                    + VectorConv.LANES + "), a multiple of 64 channels and of " + VectorConv.CHANNEL_COLUMNS
                    + " columns, got " + g);
        }
    }

    /** {@link #forward} on the vector engine with the product chosen by the caller ({@link #channelLanes}). */
    static void forwardVector(boolean channels, Conv2d.Geometry g, Tensor x, Tensor w, Tensor b, Tensor y,
                              float[] scratch) {
        requireSupported(g);
        g.requireForward(x, w, b, y, scratch, scratchSize(Engine.VECTOR, g));
        requireChannelLanes(channels, g.cout(), g.wo(), "forward (output channels by output columns)", g);
        forwardVector(channels, g, chunkInput(g, x.data(), x.offset(), scratch), w.data(), w.offset(),
                b == null ? null : b.data(), b == null ? 0 : b.offset(), y.data(), y.offset(), scratch);
    }

    private static void forwardVector(Conv2d.Geometry g, PaddedInput in, float[] w, int wOff, float[] b, int bOff,
                                      float[] y, int yOff, float[] scratch) {
        forwardVector(channelLanes(g), g, in, w, wOff, b, bOff, y, yOff, scratch);
    }

    private static void forwardVector(boolean channels, Conv2d.Geometry g, PaddedInput in, float[] w, int wOff,
                                      float[] b, int bOff, float[] y, int yOff, float[] scratch) {
        if (channels) {
            forwardChannels(g, in, w, wOff, b, bOff, y, yOff, scratch);
            return;
        }
        int chunk = chunk(g);
        int taps = g.kh() * g.kw();
        int yws = vectorOutputStride(g);
        int ywOff = g.cin() * vectorChannelStride(g);
        int apOff = ywOff + g.cout() * yws;
        // The terms' offsets once per call: every chunk has the same layout.
        int[] termAt = VectorConv.termOffsets(g.cin(), taps, in.stride(), tapShifts(g, 1));
        VectorConv.pack(g.cout(), g.cin(), taps, w, wOff, g.k(), taps, 1, scratch, apOff);
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            int q = wideColumns(g, nb);
            in.fill(g, n0, nb);
            VectorConv.product(g.cout(), g.k(), scratch, apOff, in.data(), in.start(g, n0), termAt, scratch, ywOff,
                    yws, q, false);
            unpadOutput(true, g, scratch, ywOff, yws, n0, nb, b, bOff, y, yOff);
        }
    }

    /**
     * The vector forward on {@link VectorConv#productChannels}: for each chunk, each image's output rows in blocks
     * of {@link VectorConv#CHANNEL_COLUMNS} pixels by {@link VectorConv#CHANNEL_ROWS} channels, read from the same
     * padded input at the same term offsets as {@link VectorConv#product}, each block's tile written into y with
     * the bias added as {@link #unpadOutput} adds it.
     */
    private static void forwardChannels(Conv2d.Geometry g, PaddedInput in, float[] w, int wOff, float[] b,
                                        int bOff, float[] y, int yOff, float[] scratch) {
        int chunk = chunk(g);
        int taps = g.kh() * g.kw();
        int cout = g.cout();
        int terms = g.k();
        int tileOff = g.cin() * vectorChannelStride(g);
        int tileSize = VectorConv.CHANNEL_COLUMNS * VectorConv.CHANNEL_ROWS;
        int acOff = tileOff + tileSize;
        int[] termAt = VectorConv.termOffsets(g.cin(), taps, in.stride(), tapShifts(g, 1));
        VectorConv.packChannels(cout, g.cin(), taps, w, wOff, g.k(), taps, 1, scratch, acOff);
        int wp = rowWidth(g);
        int plane = plane(g);
        int wo = g.wo();
        int hw = g.ho() * wo;
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            in.fill(g, n0, nb);
            int start = in.start(g, n0);
            for (int i = 0; i < nb; i++) {
                int image = yOff + (n0 + i) * cout * hw;
                for (int r = 0; r < g.ho(); r++) {
                    for (int c0 = 0; c0 < wo; c0 += VectorConv.CHANNEL_COLUMNS) {
                        int column = i * plane + r * wp + c0;
                        int pixel = image + r * wo + c0;
                        for (int r0 = 0; r0 < cout; r0 += VectorConv.CHANNEL_ROWS) {
                            VectorConv.productChannels(terms, scratch, acOff + r0, cout, in.data(), start + column,
                                    termAt, scratch, tileOff);
                            writeTile(scratch, tileOff, r0, b, bOff, y, pixel, hw);
                        }
                    }
                }
            }
        }
    }

    /**
     * The input gradient of a chunk of nb images on {@link VectorConv#productChannels}: dxp's interior (each
     * image's pixels, where {@link #planes} reads them; the padding columns are not written) in blocks of
     * {@link VectorConv#CHANNEL_COLUMNS} pixels by {@link VectorConv#CHANNEL_ROWS} input channels, from the spread
     * dy at dyw with the same terms as the columns product, the weights packed by
     * {@link VectorConv#packChannels} at acOff.
     */
    private static void gradientChannels(Conv2d.Geometry g, int nb, float[] scratch, int acOff, int dyw,
                                         int[] termAt, int dxpOff, int tileOff) {
        int cs = vectorChannelStride(g);
        int terms = g.cout() * g.kh() * g.kw();
        int wp = rowWidth(g);
        int plane = plane(g);
        int lead = lead(g);
        for (int i = 0; i < nb; i++) {
            for (int r = 0; r < g.h(); r++) {
                for (int c0 = 0; c0 < g.w(); c0 += VectorConv.CHANNEL_COLUMNS) {
                    int column = lead + i * plane + r * wp + c0;
                    for (int r0 = 0; r0 < g.cin(); r0 += VectorConv.CHANNEL_ROWS) {
                        VectorConv.productChannels(terms, scratch, acOff + r0, g.cin(), scratch, dyw + column,
                                termAt, scratch, tileOff);
                        writeTile(scratch, tileOff, r0, null, 0, scratch, dxpOff + column, cs);
                    }
                }
            }
        }
    }

    /**
     * y[o, pixel + p] = tile[p*CHANNEL_ROWS + o - r0] (+ b[o], one float add as {@link VectorRows#copyPlus} does)
     * for the tile's columns p and channels o from r0; channel planes hw floats apart.
     */
    private static void writeTile(float[] tile, int tileOff, int r0, float[] b, int bOff, float[] y, int pixel,
                                  int hw) {
        for (int o = 0; o < VectorConv.CHANNEL_ROWS; o++) {
            int dst = pixel + (r0 + o) * hw;
            int src = tileOff + o;
            if (b == null) {
                for (int p = 0; p < VectorConv.CHANNEL_COLUMNS; p++) {
                    y[dst + p] = tile[src + p * VectorConv.CHANNEL_ROWS];
                }
            } else {
                float bias = b[bOff + r0 + o];
                for (int p = 0; p < VectorConv.CHANNEL_COLUMNS; p++) {
                    y[dst + p] = tile[src + p * VectorConv.CHANNEL_ROWS] + bias;
                }
            }
        }
    }

    private static void backwardVector(Conv2d.Geometry g, float[] dy, int dyOff, float[] x, int xOff, float[] w,
                                       int wOff, float[] dx, int dxOff, float[] dw, int dwOff, float[] scratch) {
        backwardVector(channelLanesBackward(g), g, dy, dyOff, x, xOff, w, wOff, dx, dxOff, dw, dwOff, scratch);
    }

    private static void backwardVector(boolean channels, Conv2d.Geometry g, float[] dy, int dyOff, float[] x,
                                       int xOff, float[] w, int wOff, float[] dx, int dxOff, float[] dw, int dwOff,
                                       float[] scratch) {
        ChunkImages addDx = dx == null ? null : (n0, nb, planes) -> addImages(g, planes, n0, nb, dx, dxOff);
        backwardVector(channels, g, dy, dyOff, chunkInput(g, x, xOff, scratch), w, wOff, addDx, dw, dwOff, scratch);
    }

    /**
     * {@link #backward} on the vector engine with the input gradient's product chosen by the caller
     * ({@link #channelLanesBackward}).
     */
    static void backwardVector(boolean channels, Conv2d.Geometry g, Tensor dy, Tensor x, Tensor w, Tensor dx,
                               Tensor dw, float[] scratch) {
        requireSupported(g);
        g.requireBackward(dy, x, w, dx, dw, null, scratch, scratchSize(Engine.VECTOR, g));
        requireChannelLanes(channels, g.cin(), g.w(), "input gradient (input channels by input columns)", g);
        backwardVector(channels, g, dy.data(), dy.offset(), x.data(), x.offset(), w.data(), w.offset(),
                dx == null ? null : dx.data(), dx == null ? 0 : dx.offset(), dw == null ? null : dw.data(),
                dw == null ? 0 : dw.offset(), scratch);
    }

    /**
     * The vector backward over a padded input {@code in} (filled per chunk when it has a fill); the input
     * gradient of each chunk, in the chunk-local padded layout, goes to {@code dx} (null: not wanted).
     */
    private static void backwardVector(Conv2d.Geometry g, float[] dy, int dyOff, PaddedInput in, float[] w,
                                       int wOff, ChunkImages dx, float[] dw, int dwOff, float[] scratch) {
        backwardVector(channelLanesBackward(g), g, dy, dyOff, in, w, wOff, dx, dw, dwOff, scratch);
    }

    private static void backwardVector(boolean channels, Conv2d.Geometry g, float[] dy, int dyOff, PaddedInput in,
                                       float[] w, int wOff, ChunkImages dx, float[] dw, int dwOff, float[] scratch) {
        int chunk = chunk(g);
        int taps = g.kh() * g.kw();
        int cs = vectorChannelStride(g);
        int front = maxShift(g);
        int ds = front + cs;
        int dywOff = g.cin() * cs;
        int dxpOff = dywOff + g.cout() * ds;
        int apOff = dxpOff + g.cin() * cs;
        // The weight gradient of the first outer rows (output channels) runs in vector lanes: dy transposed into
        // dyT [Q, outer], summed into dwT [K, outer] over the chunks, added into dw at the end.
        int outer = VectorConv.outerRows(g.cout());
        int dyTOff = apOff + VectorConv.packedSize(g.cin(), g.cout(), taps);
        int dwTOff = dyTOff + outer * wideColumns(g, chunk);
        // The channel-lanes input gradient's tile: after the weight gradient's buffers.
        int tileOff = dwTOff + outer * g.k();
        // The terms' offsets once per call: every chunk has the same layout.
        int[] shifts = tapShifts(g, 1);
        int[] termAt = VectorConv.termOffsets(g.cin(), taps, in.stride(), shifts);
        int[] backTermAt = VectorConv.termOffsets(g.cout(), taps, ds, tapShifts(g, -1));
        if (dw != null && outer > 0) {
            Arrays.fill(scratch, dwTOff, dwTOff + outer * g.k(), 0f);
        }
        if (dx != null) {
            // a[c, o, t] = w[o, c, t]: the input gradient sums over output channels.
            if (channels) {
                VectorConv.packChannels(g.cin(), g.cout(), taps, w, wOff, taps, g.k(), 1, scratch, apOff);
            } else {
                VectorConv.pack(g.cin(), g.cout(), taps, w, wOff, taps, g.k(), 1, scratch, apOff);
            }
        }
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            int q = wideColumns(g, nb);
            clearForChunk(g, n0, nb, scratch, dywOff, g.cout(), ds, front);
            spreadGradient(true, g, dy, dyOff, n0, nb, scratch, dywOff + front, ds);
            if (dw != null) {
                in.fill(g, n0, nb);
                int xp = in.start(g, n0);
                if (outer > 0) {
                    VectorConv.transpose(scratch, dywOff + front, ds, outer, q, scratch, dyTOff);
                    VectorConv.correlateOuter(outer, g.k(), scratch, dyTOff, outer, in.data(), xp, termAt, scratch,
                            dwTOff, outer, q);
                }
                if (outer < g.cout()) {
                    VectorConv.correlate(g.cout() - outer, g.cin(), taps, scratch, dywOff + front + outer * ds, ds,
                            in.data(), xp, in.stride(), shifts, dw, dwOff + outer * g.k(), q);
                }
            }
            if (dx != null) {
                if (channels) {
                    gradientChannels(g, nb, scratch, apOff, dywOff + front, backTermAt, dxpOff, tileOff);
                } else {
                    int cols = q + front;
                    VectorConv.product(g.cin(), g.cout() * taps, scratch, apOff, scratch, dywOff + front,
                            backTermAt, scratch, dxpOff, cs, cols, false);
                }
                dx.run(n0, nb, planes(g, scratch, dxpOff, cs));
            }
        }
        if (dw != null) {
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < g.k(); j++) {
                    dw[dwOff + o * g.k() + j] += scratch[dwTOff + j * outer + o];
                }
            }
        }
    }

    /**
     * Floats of a whole batch's padded input (for {@link #forwardPadded}, written once and read again by
     * {@link #backwardPadded}): one chunk-local block per chunk, Cin rows of {@link #vectorChannelStride}, so every
     * product reads its chunk exactly as it reads the chunk-local copy.
     */
    static long batchPaddedSize(Conv2d.Geometry g) {
        return (long) (g.n() + chunk(g) - 1) / chunk(g) * g.cin() * vectorChannelStride(g);
    }

    private static PaddedInput batchInput(Conv2d.Geometry g, float[] xp, int xpOff, ChunkImages fill) {
        int cs = vectorChannelStride(g);
        return new PaddedInput(xp, xpOff, cs, g.cin() * cs, fill);
    }

    /**
     * The vector forward over the whole batch's padded input {@code xp} (from {@code xpOff},
     * {@link #batchPaddedSize} floats), which {@code fill} writes chunk by chunk, each block zeroed first, just
     * before the chunk's products read it (xp's earlier contents do not matter).
     */
    static void forwardPadded(Conv2d.Geometry g, float[] xp, int xpOff, ChunkImages fill, Tensor w, Tensor b,
                              Tensor y, float[] scratch) {
        requireBatchPadded(g, xp, xpOff, scratch);
        forwardVector(g, batchInput(g, xp, xpOff, fill), w.data(), w.offset(),
                b == null ? null : b.data(), b == null ? 0 : b.offset(), y.data(), y.offset(), scratch);
    }

    /**
     * The vector forward with each chunk's padded input written by {@code fill} into the chunk-local block at the
     * front of scratch (zeros around its images, just before the chunk's products read it), where
     * {@link #forward} copies x: for a pass that keeps no padded input, so the block stays in cache.
     */
    static void forwardChunked(Conv2d.Geometry g, ChunkImages fill, Tensor w, Tensor b, Tensor y, float[] scratch) {
        requireSupported(g);
        g.requireScratch(scratch, vectorScratchSize(g));
        forwardVector(g, chunkInput(g, scratch, fill), w.data(), w.offset(),
                b == null ? null : b.data(), b == null ? 0 : b.offset(), y.data(), y.offset(), scratch);
    }

    /**
     * The vector backward over the whole batch's padded input that {@link #forwardPadded} read: accumulates dw
     * (may be null), and hands each chunk's input gradient, as planes in the padded layout, to {@code dx} (may be
     * null).
     */
    static void backwardPadded(Conv2d.Geometry g, Tensor dy, float[] xp, int xpOff, Tensor w, ChunkImages dx,
                               Tensor dw, float[] scratch) {
        requireBatchPadded(g, xp, xpOff, scratch);
        backwardVector(g, dy.data(), dy.offset(), batchInput(g, xp, xpOff, null),
                w.data(), w.offset(), dx, dw == null ? null : dw.data(), dw == null ? 0 : dw.offset(), scratch);
    }

    /** Throws unless xp holds the batch's padded input from xpOff and scratch the vector engine's scratch. */
    private static void requireBatchPadded(Conv2d.Geometry g, float[] xp, int xpOff, float[] scratch) {
        requireSupported(g);
        if (xpOff < 0 || xp.length - (long) xpOff < batchPaddedSize(g)) {
            throw new IllegalArgumentException("padded input of " + g + ": need " + batchPaddedSize(g)
                    + " floats from offset " + xpOff + ", the array holds " + xp.length);
        }
        g.requireScratch(scratch, vectorScratchSize(g));
    }

    private static void repackWeights(Conv2d.Geometry g, float[] w, int wOff, float[] wr, int wrOff) {
        int taps = g.kh() * g.kw();
        for (int o = 0; o < g.cout(); o++) {
            for (int c = 0; c < g.cin(); c++) {
                int src = wOff + o * g.k() + c * taps;
                for (int t = 0; t < taps; t++) {
                    wr[wrOff + (t * g.cout() + o) * g.cin() + c] = w[src + t];
                }
            }
        }
    }

    /** Zero-padded copy of images n0 .. n0+nb-1 into xp [Cin, cs] (layout in the class javadoc). */
    private static void pad(Conv2d.Geometry g, float[] x, int xOff, int n0, int nb, float[] xp, int xpOff, int cs) {
        Arrays.fill(xp, xpOff, xpOff + g.cin() * cs, 0f);
        copyImages(false, g, x, xOff, n0, nb, planes(g, xp, xpOff, cs));
    }

    /**
     * The rows of images n0 .. n0+nb-1 of x into the interior of a padded layout; {@code vector} as in
     * {@link #unpadOutput}.
     */
    private static void copyImages(boolean vector, Conv2d.Geometry g, float[] x, int xOff, int n0, int nb,
                                   GroupNormSilu.Planes planes) {
        int hw = g.h() * g.w();
        for (int c = 0; c < g.cin(); c++) {
            for (int i = 0; i < nb; i++) {
                int src = xOff + ((n0 + i) * g.cin() + c) * hw;
                int dst = planes.at(i, c);
                Rows.copy(vector, x, src, g.w(), planes.data(), dst, planes.rowStride(), g.h(), g.w());
            }
        }
    }

    /** dx of images n0 .. n0+nb-1 += planes' images. */
    private static void addImages(Conv2d.Geometry g, GroupNormSilu.Planes planes, int n0, int nb, float[] dx,
                                  int dxOff) {
        int hw = g.h() * g.w();
        float[] src = planes.data();
        for (int c = 0; c < g.cin(); c++) {
            for (int i = 0; i < nb; i++) {
                int dst = dxOff + ((n0 + i) * g.cin() + c) * hw;
                int from = planes.at(i, c);
                for (int r = 0; r < g.h(); r++) {
                    for (int j = 0; j < g.w(); j++) {
                        dx[dst + r * g.w() + j] += src[from + r * planes.rowStride() + j];
                    }
                }
            }
        }
    }
}
