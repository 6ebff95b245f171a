package io.sparkdiffusion.tensor.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(4x4, 3x3) (Lavin and Gray 2016, "Fast Algorithms for Convolutional Neural Networks") for the stride-1,
 * padding-1 3x3 convolutions: each 4x4 output tile costs 36 multiplies per (input, output) channel pair instead of
 * 144 (F(2x2, 3x3), which ran here until 2026-12-07, costs 16 per 2x2 tile, 64 per 16 outputs).
 *
 * <pre>
 * x  [N, Cin, H, W]      w [Cout, Cin, 3, 3]      y [N, Cout, H, W]       th = ceil(H/4), tw = ceil(W/4)
 * tile (n, a, b): output rows 4a .. 4a+3 and columns 4b .. 4b+3 of image n; it reads the 6x6 patch
 *          d = x[n, c, 4a-1 .. 4a+4, 4b-1 .. 4b+4] (zero outside the image)
 * U [36][Cout][Cin]      U[.][o][c] = G w[o, c] G^T          (weight transform, 6x6 laid out as xi = 6r + s)
 * V [36][Cin][T]         V[.][c][t] = B^T d B                 (input transform)
 * M [36][Cout][T]        M[xi] = U[xi] V[xi]                  (36 independent products: {@link VectorConv#product})
 * y[n, o, 4a+i, 4b+j] = (A^T M[.][o][t] A)[i][j] (+ b[o])      (output transform, cropped to H x W)
 * </pre>
 * with B^T, G and A^T of the interpolation points 0, 1, -1, 2, -2, written out before {@link #transformWeights}.
 *
 * <p>The tiles of a batch are taken {@link #GROUP} at a time, in vector lanes for the transforms and as the
 * product's columns: for batches of LANES images or more, the same tile of LANES images ({@link #runSets}: at 7x7 an
 * image has four tiles and a tile row two, a quarter of an AVX2 vector), and for the images past the last whole set
 * neighbouring tiles of a tile row of one image. Every output element is the sum over input channels in one fixed
 * order in its own lane, a tile's transforms read only its own image and run the same operations on either layout:
 * an image's output is bit for bit the same whatever else is in the batch.
 *
 * <p>The input gradient of a 3x3 padding-1 convolution is the same convolution of dy with the weights flipped
 * and transposed ({@code w'[c, o, u, v] = w[o, c, 2-u, 2-v]}). The weight gradient runs the products backwards,
 * {@code dU[xi] = sum_t dM[xi][.][t] V[xi][.][t]^T} with {@code dM = A dy A^T}, then {@code dw = G^T dU G}: 36
 * multiplies per tile and channel pair again (see {@link #weightGradient}). The weight transform runs on each
 * call (36 * Cout * Cin values against the products' 36 * Cout * Cin * T multiply-adds), but for a forward pass
 * whose caller keeps them ({@link TransformedWeights}: an inference tape, whose weights stay fixed across a
 * sampler's steps).
 */
final class Winograd {
    /** The value of {@link ShiftedConv#ENGINE_PROPERTY} that runs every supported convolution here. */
    static final String PROPERTY_VALUE = "winograd";

    /**
     * Which convolutions run here, read once from {@link ShiftedConv#ENGINE_PROPERTY} and logged: all supported
     * ones with {@code winograd}, those {@link Choice#wins} picks with {@code auto}, none with {@code vector} or
     * {@code gemm}. Its rule reads the vector width ({@link VectorConv#WIDE}), so it is asked only where the vector
     * engine runs (callers check that first). The choice depends on the layer's shape and the machine's vector
     * width only, never on the batch size, so that batch invariance holds.
     */
    static final class Choice {
        private static final String MODE = System.getProperty(ShiftedConv.ENGINE_PROPERTY, "auto").trim()
                .toLowerCase(java.util.Locale.ROOT);

        /** The measured rule of {@code auto}, for the log. */
        private static final String RULE = "H, W >= 7 and Cin, Cout >= 16, without AVX-512";

        static {
            System.getLogger(Winograd.class.getName()).log(System.Logger.Level.INFO, "spark-diffusion 3x3 padding-1 "
                    + "convolutions: " + describe() + " (" + ShiftedConv.ENGINE_PROPERTY + "=" + MODE + ")");
        }

        private Choice() {
        }

        /**
         * The shapes where Winograd measured faster than the vector shifted products (UNetBench per-op profile and
         * KernelBench engines, batch 64), all three passes. History, F(2x2, 3x3) until 2026-12-07: against the
         * products' 4 x 4 block (Intel Cooperlake, 2026-12-01) from 14x14 with 16 or more channels each way (at 7x7
         * a tile row was 4 tiles, a quarter of a 16-float vector; with a single input or output channel there is
         * nothing to save); against the 8 x 3 block that AVX-512 machines run since ({@link VectorConv#WIDE})
         * nowhere (AMD EPYC, Zen 5, 2026-12-04: the direct products' forward was faster at every unet-small shape);
         * against the 6 x 2 block of AVX2 machines (AMD EPYC, Zen 3, 2026-12-07) the forward and input gradient from
         * 7x7 on, the weight gradient from 14x14 with 96 or more input channels. F(4x4, 3x3) with images in lanes
         * (same machine, same day, batch 64, {@code Winograd*} against the direct 6 x 2 kernels, ms): forward 10.2
         * to 11.5 against 15.5 (32 -> 32 at 28x28), 23.7 to 27.5 against 46.7 (96 -> 32 at 28x28), 15.9 to 16.4
         * against 31.4 (128 -> 64 at 14x14), 2.5 to 3.3 against 4.7 (64 -> 64 at 7x7), the input gradients alike;
         * weight gradient 12.7 to 13.7 against 14.5 to 15.6 (32 -> 32 at 28x28), 28.3 against 42.7 (96 -> 32),
         * 20.8 against 28.7 (128 -> 64 at 14x14), 4.2 against 5.2 (64 -> 64 at 7x7), and 8.8 to 9.2 against 8.0 to
         * 9.5 (32 -> 64 at 14x14, the one shape without a clear winner). Where F(2x2, 3x3) had run, F(4x4, 3x3)
         * was faster at every shape (forward 32 -> 32 at 28x28 10.2 to 11.5 against 12.7 to 13.2, 64 -> 64 at 7x7
         * 2.5 to 3.3 against 4.0 to 4.2; weight gradient 96 -> 32 at 28x28 28.3 against 33.7); in UNetBench the
         * forward and input gradient on it took training steps from 1.74 to 1.97 s to 1.64 to 1.89, and the weight
         * gradient on it too the median step from 1.601 and 1.622 s to 1.558 and 1.577 (docs/engine.md).
         */
        static boolean wins(Conv2d.Geometry g) {
            return !VectorConv.WIDE && g.h() >= 7 && g.w() >= 7 && g.cin() >= 16 && g.cout() >= 16;
        }

        /** The geometries Winograd F(4x4, 3x3) computes: 3x3 kernel, stride 1, padding 1. */
        static boolean supports(Conv2d.Geometry g) {
            return g.kh() == 3 && g.kw() == 3 && g.stride() == 1 && g.pad() == 1;
        }

        /** Which 3x3 padding-1 convolutions run here, for the log and the benchmark's engine line. */
        static String describe() {
            return switch (MODE) {
                case PROPERTY_VALUE -> "winograd F(4x4,3x3) for all 3x3 padding 1";
                case "auto" -> VectorConv.WIDE
                        ? "no winograd (auto: with AVX-512 the shifted products measured faster at every shape)"
                        : "winograd F(4x4,3x3) where " + RULE;
                default -> "no winograd";
            };
        }

        /** True when g runs on Winograd, given that the vector engine runs the stride-1 convolutions. */
        static boolean applies(Conv2d.Geometry g) {
            if (!supports(g)) {
                return false;
            }
            return switch (MODE) {
                case PROPERTY_VALUE -> true;
                case "auto" -> wins(g);
                default -> false;
            };
        }
    }

    private static final VectorSpecies<Float> SPECIES = VectorConv.SPECIES;
    private static final int LANES = VectorConv.LANES;
    /** Points of the transformed domain: a 6x6 patch per 4x4 output tile, 36 products. */
    private static final int POINTS = 36;
    /**
     * Tiles per group: the products' column count, a whole number of {@link VectorConv#BLOCK}s, about 128. 32 -> 32
     * at 28x28, batch 64, tiles of a tile row in lanes: groups of 32, 64, 128 and 256 tiles took 11.1, 10.3, 10.1 and
     * 9.9 ms; with images in lanes, UNetBench training steps with groups of 64, 128 and 256 alternating twice
     * differed by less than the VM's noise. (F(2x2, 3x3), with 16 points per tile, had groups of 256: one block of 64
     * had lost its gain, the packed weights being streamed once per group.)
     */
    static final int GROUP = VectorConv.BLOCK * Math.max(1, 128 / VectorConv.BLOCK);
    /** The one tap of the transformed-domain products and correlations: no shift. */
    private static final int[] NO_SHIFT = {0};
    /**
     * Most columns per group of the weight gradient: each group ends in one reduction across lanes per (xi, o, c)
     * where {@link VectorConv#correlate} sums, so groups are longer than the forward pass's where the channels allow
     * (see {@link #weightGroup}).
     */
    static final int WEIGHT_GROUP = 1024;
    /**
     * Floats the weight gradient's V and dM may take, 36 * (Cin + Cout) rows of a group: what F(2x2, 3x3) took for
     * groups of 512 tiles of 128 channels (4.3 MB), near the forward pass's largest scratch in unet-small, so that
     * training holds about the memory it did.
     */
    private static final long WEIGHT_TILE_FLOATS = 16L * 128 * (512 + LANES);
    /** The index map of a gather of LANES columns of ys (see {@link #transformOutputSets}). */
    private static final int[] COLUMNS_AT = laneOffsets(LANES);
    // Interleaving and deinterleaving pairs of vectors, as one-vector shuffles and a blend with a constant mask
    // (JDK 17 compiles these to a few instructions; its two-vector rearrange and masked stores allocate):
    // zip lo = a[0] b[0] a[1] b[1] .. (first half of a and b), zip hi the same from the second half;
    // even = a[0] a[2] .. b[0] b[2] .., odd = a[1] a[3] .. b[1] b[3] ..
    private static final VectorShuffle<Float> HALF_LO = shuffle(i -> i / 2);
    private static final VectorShuffle<Float> HALF_HI = shuffle(i -> LANES / 2 + i / 2);
    private static final VectorShuffle<Float> EVEN = shuffle(i -> (2 * i) % LANES);
    private static final VectorShuffle<Float> ODD = shuffle(i -> (2 * i + 1) % LANES);
    private static final VectorMask<Float> ODD_LANES = mask(i -> i % 2 == 1);
    private static final VectorMask<Float> UPPER_HALF = mask(i -> i >= LANES / 2);

    private static VectorShuffle<Float> shuffle(java.util.function.IntUnaryOperator from) {
        int[] at = new int[LANES];
        for (int i = 0; i < LANES; i++) {
            at[i] = from.applyAsInt(i);
        }
        return VectorShuffle.fromValues(SPECIES, at);
    }

    private static VectorMask<Float> mask(java.util.function.IntPredicate set) {
        boolean[] bits = new boolean[LANES];
        for (int i = 0; i < LANES; i++) {
            bits[i] = set.test(i);
        }
        return VectorMask.fromArray(SPECIES, bits, 0);
    }

    /** {0, step, 2*step, ..}: a gather's index map over LANES elements step apart. */
    private static int[] laneOffsets(int step) {
        int[] at = new int[LANES];
        for (int l = 0; l < LANES; l++) {
            at[l] = l * step;
        }
        return at;
    }

    private Winograd() {
    }

    /** Throws unless {@link Choice#supports}. */
    private static void requireSupported(Conv2d.Geometry g) {
        if (!Choice.supports(g)) {
            throw new IllegalArgumentException("Winograd F(4x4,3x3) needs a 3x3 kernel, stride 1 and padding 1, got "
                    + g);
        }
    }

    private static int tileRows(Conv2d.Geometry g) {
        return (g.h() + 3) / 4;
    }

    private static int tileCols(Conv2d.Geometry g) {
        return (g.w() + 3) / 4;
    }

    private static int tiles(Conv2d.Geometry g) {
        return g.n() * tileRows(g) * tileCols(g);
    }

    // Scratch layout, for a product with `rows` output channels over `kdim` input channels:
    //   ap    [36][packedSize(rows, kdim, 1)]   U packed for VectorConv
    //   v     [36][kdim][stride(g)]
    //   m     [36][rows][stride(g)]
    //   plane [4][planeSize]                    one image's channel split by column modulo 4 (fillPhases)
    //   row   [6][rowSize]                      an input row with its zero border, its even and odd columns, and
    //                                           four rows of output (transformOutput)
    //   tmp   [36][LANES]                       a transform's first half
    //   xs, ys, row                             the same with images in lanes (runSets; see setSize)
    private static int planeWidth(Conv2d.Geometry g) {
        return tileCols(g) + 1;
    }

    private static int planeSize(Conv2d.Geometry g) {
        return (4 * tileRows(g) + 2) * planeWidth(g) + 2 * LANES;
    }

    /** One row buffer: an input row with its zero border (fillPhases), its split, or one output row. */
    private static int rowSize(Conv2d.Geometry g) {
        return 4 * planeWidth(g) + 4 * LANES;
    }

    /** Floats from plane to tmp's end: the tile-row transforms' work space. */
    private static int rowsWork(Conv2d.Geometry g) {
        return 4 * planeSize(g) + 6 * rowSize(g) + POINTS * LANES;
    }

    /**
     * Tiles per group of g's forward pass and input gradient: {@link #GROUP}, or all of g's tiles rounded up to whole
     * product blocks when there are fewer, so that a small batch takes scratch for its own tiles only. A tile's
     * sums do not depend on the others in its group, so the group changes no bits.
     */
    static int group(Conv2d.Geometry g) {
        return Math.min(GROUP, VectorConv.roundUp(tiles(g), VectorConv.BLOCK));
    }

    /** Row stride of V and M: a row's last vector may spill up to LANES - 1 floats past the group. */
    private static int stride(Conv2d.Geometry g) {
        return group(g) + LANES;
    }

    private static long scratchSize(Conv2d.Geometry g, int rows, int kdim) {
        return (long) POINTS * VectorConv.packedSize(rows, kdim, 1) + (long) POINTS * kdim * stride(g)
                + (long) POINTS * rows * stride(g) + rowsWork(g) + setSize(g);
    }

    // With images in lanes (runSets), after tmp:
    //   xs    [4*th + 2][4*tw + 2][LANES]     one channel of LANES images, zero-bordered, image l in lane l
    //   ys    [4*th][4*tw][LANES] + slack     one output channel of LANES images, uncropped
    //   row   [4*tw + LANES]                  one image's output row, gathered from ys
    private static long setSize(Conv2d.Geometry g) {
        long th = tileRows(g);
        long tw = tileCols(g);
        return xsSize(g) + ysSize(g) + 4 * tw + LANES;
    }

    private static int xsSize(Conv2d.Geometry g) {
        return (4 * tileRows(g) + 2) * (4 * tileCols(g) + 2) * LANES;
    }

    /** Floats of ys: a gather of LANES columns from its last row's last vector may read LANES * LANES past it. */
    private static int ysSize(Conv2d.Geometry g) {
        return (16 * tileRows(g) * tileCols(g) + LANES) * LANES;
    }

    // Scratch layout of the weight gradient, outer = VectorConv.outerRows(Cout):
    //   v     [36][Cin][weightGroup + LANES]   V of x, as in the forward pass
    //   mT    [36][weightGroup + LANES][outer] dM = A dy A^T of each tile, its first outer rows transposed
    //                                          (VectorConv.correlateOuter reads them so)
    //   m     [36][Cout - outer][weightGroup + LANES]  dM's rows from outer on
    //   du    [36][Cout - outer][Cin]          dU's rows from outer on, summed over the groups
    //   duT   [36][Cin][outer]                 dU's first outer rows, transposed (VectorConv.correlateOuter)
    //   tmp [36][LANES], xs and ys as in runSets (ys holds dy, zero past its rows and columns)
    private static long weightScratchSize(Conv2d.Geometry g) {
        long outer = VectorConv.outerRows(g.cout());
        return (long) POINTS * (g.cin() + g.cout()) * (weightGroup(g) + LANES)
                + (long) POINTS * (g.cout() - outer) * g.cin()
                + outer * (long) POINTS * g.cin() + POINTS * LANES + xsSize(g) + ysSize(g);
    }

    /**
     * Columns per group of g's weight gradient: WEIGHT_GROUP, fewer when V and dM would pass WEIGHT_TILE_FLOATS or g
     * has fewer (a whole number of vectors).
     */
    static int weightGroup(Conv2d.Geometry g) {
        long fit = WEIGHT_TILE_FLOATS / ((long) POINTS * (g.cin() + g.cout())) - LANES;
        int most = Math.min(WEIGHT_GROUP, weightColumns(g));
        return (int) Math.max(LANES, Math.min(most, fit / LANES * LANES));
    }

    /** The weight gradient's columns: g's tiles in sets of LANES images, the last set padded. */
    private static int weightColumns(Conv2d.Geometry g) {
        return VectorConv.ceilDiv(g.n(), LANES) * tileRows(g) * tileCols(g) * LANES;
    }

    /** Floats of scratch {@link #forward} (rows = Cout) and {@link #inputGradient} (rows = Cin) need. */
    static long convolutionScratchSize(Conv2d.Geometry g) {
        return Math.max(scratchSize(g, g.cout(), g.cin()), scratchSize(g, g.cin(), g.cout()));
    }

    /** Floats of scratch {@link #forward}, {@link #inputGradient} and {@link #weightGradient} need. */
    static long scratchSize(Conv2d.Geometry g) {
        return Math.max(convolutionScratchSize(g), weightScratchSize(g));
    }

    /** y = conv(x, w) + b (b may be null); y is overwritten. */
    static void forward(Conv2d.Geometry g, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y,
                        int yOff, float[] scratch) {
        forward(g, x, xOff, w, wOff, b, bOff, y, yOff, scratch, null);
    }

    /**
     * {@link #forward}, with the transformed weights taken from {@code kept} when it holds them for w's current
     * values (it may be null: transform into scratch, as on every training step). The same bits either way.
     */
    static void forward(Conv2d.Geometry g, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y,
                        int yOff, float[] scratch, TransformedWeights kept) {
        requireSupported(g);
        float[] u = kept == null ? null : kept.forward(g, w, wOff);
        if (u == null) {
            transformForward(g, w, wOff, scratch);
            u = scratch;
        }
        run(g, g.cout(), g.cin(), u, x, xOff, b, bOff, y, yOff, false, scratch);
    }

    /** The forward pass's U, packed, into {@code u[0 .. forwardWeightsSize(g))}. */
    static void transformForward(Conv2d.Geometry g, float[] w, int wOff, float[] u) {
        transformWeights(g.cout(), g.cin(), w, wOff, g.cin() * 9, 9, false, u, 0);
    }

    /** Floats of the forward pass's packed U: 36 products' weights, [Cout][Cin] each, rows padded. */
    static int forwardWeightsSize(Conv2d.Geometry g) {
        return POINTS * VectorConv.packedSize(g.cout(), g.cin(), 1);
    }

    /** dx += conv(dy, w flipped and transposed): the input gradient. */
    static void inputGradient(Conv2d.Geometry g, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff,
                              float[] scratch) {
        inputGradient(g, dy, dyOff, w, wOff, dx, dxOff, false, scratch);
    }

    /**
     * The input gradient, added to dx, or with {@code set} written over it without reading it (the same bits as
     * adding to zeros, but for a zero's sign).
     */
    static void inputGradient(Conv2d.Geometry g, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff,
                              boolean set, float[] scratch) {
        requireSupported(g);
        transformWeights(g.cin(), g.cout(), w, wOff, 9, g.cin() * 9, true, scratch, 0);
        run(g, g.cin(), g.cout(), scratch, dy, dyOff, null, 0, dx, dxOff, !set, scratch);
    }

    /**
     * dw += the weight gradient: the forward pass's products run backwards. M[xi] = U[xi] V[xi] for every tile, so
     * dU[xi] = sum over tiles of dM[xi] V[xi]^T with dM = A dy A^T (dy of the tile's 4x4 outputs, zero where the
     * output is cropped), and dw[o, c] = G^T dU[.][o][c] G. Tiles go with images in lanes as in {@link #runSets}
     * (a last set of fewer than LANES images padded with zeros, which add nothing), {@link #weightGroup} columns at a
     * time; the first {@link VectorConv#outerRows} output channels sum in vector lanes
     * ({@link VectorConv#correlateOuter}: dM transposed as {@link #transformGradientChannels} writes it, against V's
     * rows as they lie), the rest with one reduction across lanes per group and channel pair
     * ({@link VectorConv#correlate}).
     */
    static void weightGradient(Conv2d.Geometry g, float[] dy, int dyOff, float[] x, int xOff, float[] dw, int dwOff,
                               float[] scratch) {
        requireSupported(g);
        int cin = g.cin();
        int cout = g.cout();
        int group = weightGroup(g);
        int stride = group + LANES;
        int outer = VectorConv.outerRows(cout);
        int rest = cout - outer;
        int vOff = 0;
        int mTOff = vOff + POINTS * cin * stride;
        int mOff = mTOff + POINTS * stride * outer;
        int duOff = mOff + POINTS * rest * stride;
        int duTOff = duOff + POINTS * rest * cin;
        int tmpOff = duTOff + POINTS * cin * outer;
        int xsOff = tmpOff + POINTS * LANES;
        int ysOff = xsOff + xsSize(g);
        Arrays.fill(scratch, duOff, tmpOff, 0f);
        // xs's border and ys past dy's last row and column stay zero.
        Arrays.fill(scratch, xsOff, ysOff + ysSize(g), 0f);
        int[] termAt = VectorConv.termOffsets(cin, 1, stride, NO_SHIFT);
        int[] xLanes = laneOffsets(cin * g.h() * g.w());
        int[] dyLanes = laneOffsets(cout * g.h() * g.w());
        int[] channelLanes = laneOffsets(g.h() * g.w());
        int columns = weightColumns(g);
        for (int t0 = 0; t0 < columns; t0 += group) {
            int cols = Math.min(group, columns - t0);
            for (int c = 0; c < cin; c++) {
                transformInputSets(g, cin, c, x, xOff, t0 / LANES, cols / LANES, scratch, vOff + c * stride,
                        cin * stride, xsOff, tmpOff, xLanes);
            }
            for (int o0 = 0; o0 < outer; o0 += LANES) {
                transformGradientChannels(g, o0, dy, dyOff, t0 / LANES, cols / LANES, scratch, mTOff + o0,
                        stride * outer, outer, ysOff, tmpOff, channelLanes);
            }
            for (int o = outer; o < cout; o++) {
                transformGradientSets(g, o, dy, dyOff, t0 / LANES, cols / LANES, scratch,
                        mOff + (o - outer) * stride, rest * stride, ysOff, tmpOff, dyLanes);
            }
            for (int xi = 0; xi < POINTS; xi++) {
                int v = vOff + xi * cin * stride;
                if (outer > 0) {
                    VectorConv.correlateOuter(outer, cin, scratch, mTOff + xi * stride * outer, outer, scratch, v,
                            termAt, scratch, duTOff + xi * cin * outer, outer, cols);
                }
                if (rest > 0) {
                    VectorConv.correlate(rest, cin, 1, scratch, mOff + xi * rest * stride, stride, scratch, v,
                            stride, NO_SHIFT, scratch, duOff + xi * rest * cin, cols);
                }
            }
        }
        weightsFromTransformed(cin, cout, outer, scratch, duOff, duTOff, dw, dwOff);
    }

    /**
     * out = (or +=) the convolution of in [N, kdim, H, W] with the transformed weights packed at the start of u
     * (scratch itself, or kept weights), rows channels; scratch's layout leaves room for them either way.
     */
    private static void run(Conv2d.Geometry g, int rows, int kdim, float[] u, float[] in, int inOff, float[] b,
                            int bOff, float[] out, int outOff, boolean accumulate, float[] scratch) {
        if (g.n() >= LANES) {
            int sets = g.n() / LANES;
            runSets(g, sets, rows, kdim, u, in, inOff, b, bOff, out, outOff, accumulate, scratch);
            int rest = g.n() - sets * LANES;
            if (rest > 0) {
                int done = sets * LANES;
                Conv2d.Geometry tail = new Conv2d.Geometry(rest, g.cin(), g.h(), g.w(), g.cout(), 3, 3, 1, 1);
                run(tail, rows, kdim, u, in, inOff + done * kdim * g.h() * g.w(), b, bOff, out,
                        outOff + done * rows * g.h() * g.w(), accumulate, scratch);
            }
            return;
        }
        int ps = VectorConv.packedSize(rows, kdim, 1);
        int group = group(g);
        int stride = stride(g);
        int vOff = POINTS * ps;
        int mOff = vOff + POINTS * kdim * stride;
        int planeOff = mOff + POINTS * rows * stride;
        int rowOff = planeOff + 4 * planeSize(g);
        int rowSize = rowSize(g);
        int tmpOff = rowOff + 6 * rowSize;
        // The input row buffer's zero border: column -1 and everything past column w - 1 stay zero through the call.
        Arrays.fill(scratch, rowOff, rowOff + rowSize, 0f);
        int tiles = tiles(g);
        int[] termAt = VectorConv.termOffsets(kdim, 1, stride, NO_SHIFT);
        for (int t0 = 0; t0 < tiles; t0 += group) {
            int cols = Math.min(group, tiles - t0);
            for (int c = 0; c < kdim; c++) {
                transformInput(g, kdim, c, in, inOff, t0, cols, scratch, vOff + c * stride, kdim * stride, planeOff,
                        rowOff, tmpOff);
            }
            for (int xi = 0; xi < POINTS; xi++) {
                VectorConv.product(rows, kdim, u, xi * ps, scratch, vOff + xi * kdim * stride, termAt,
                        scratch, mOff + xi * rows * stride, stride, cols, false);
            }
            for (int o = 0; o < rows; o++) {
                float bias = b == null ? 0f : b[bOff + o];
                transformOutput(g, rows, o, scratch, mOff + o * stride, rows * stride, t0, cols, bias, out, outOff,
                        accumulate, rowOff + 2 * rowSize, tmpOff);
            }
        }
    }

    // F(4x4, 3x3) (Lavin and Gray 2016, interpolation points 0, 1, -1, 2, -2): a 6x6 patch d gives a 4x4 output
    // tile as A^T ((G g G^T) * (B^T d B)) A, 36 products per tile and channel pair for 16 outputs (2.25 per output
    // against the direct sum's 9).
    //   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
    //   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
    //   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
    // Tile t = (n, a, b) covers output rows 4a .. 4a+3 and columns 4b .. 4b+3 and reads rows 4a-1 .. 4a+4 and
    // columns 4b-1 .. 4b+4 of the input. The transforms run in two passes of six vectors each (columns, then rows,
    // through tmp in scratch): 36 vectors do not fit in sixteen registers. The weights' transforms run in double,
    // multiplying by 1/6 (a division costs several multiplications; halving and quartering are exact).
    private static final double SIXTH = 1.0 / 6;

    /**
     * ap[xi] = VectorConv.pack of U[xi] [rows][kdim], U = G g G^T (6x6, summed in double and rounded once) with
     * g[r, k] = the 3x3 kernel at {@code w[wOff + r*rowStride + k*kStride]}, rotated by 180 degrees when {@code flip}.
     */
    private static void transformWeights(int rows, int kdim, float[] w, int wOff, int rowStride, int kStride,
                                          boolean flip, float[] ap, int apOff) {
        int ps = VectorConv.packedSize(rows, kdim, 1);
        Arrays.fill(ap, apOff, apOff + 36 * ps, 0f);
        double[] k3 = new double[9];
        double[] t = new double[18];
        double[] u = new double[36];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < kdim; k++) {
                int src = wOff + r * rowStride + k * kStride;
                for (int i = 0; i < 9; i++) {
                    k3[i] = w[src + (flip ? 8 - i : i)];
                }
                // t = G g (6x3), column by column, then U = t G^T (6x6), row by row
                for (int v = 0; v < 3; v++) {
                    weightTransform3(k3[v], k3[3 + v], k3[6 + v], t, v, 3);
                }
                for (int i = 0; i < 6; i++) {
                    weightTransform3(t[3 * i], t[3 * i + 1], t[3 * i + 2], u, 6 * i, 1);
                }
                int at = apOff + ((r / VectorConv.ROWS) * kdim + k) * VectorConv.ROWS + r % VectorConv.ROWS;
                for (int xi = 0; xi < 36; xi++) {
                    ap[at + xi * ps] = (float) u[xi];
                }
            }
        }
    }

    /** G (k0, k1, k2)^T into {@code out[off + i*step]}, i = 0..5, in double. */
    private static void weightTransform3(double k0, double k1, double k2, double[] out, int off, int step) {
        double even = k0 + k2;
        double p = k0 * SIXTH / 4 + k2 * SIXTH;
        double q = k1 * SIXTH / 2;
        out[off] = k0 / 4;
        out[off + step] = -(even + k1) * SIXTH;
        out[off + 2 * step] = -(even - k1) * SIXTH;
        out[off + 3 * step] = p + q;
        out[off + 4 * step] = p - q;
        out[off + 5 * step] = k2;
    }

    /**
     * V[xi][c][t - t0] for tiles t0 .. t0+cols-1 (t = n*th*tw + a*tw + b) of channel c of x [N, kdim, H, W], at
     * {@code s[vAt + xi*xiStride + ...]}: from the column phases of {@link #fillPhases}, one vector of neighbouring
     * tiles of a tile row at a time. Each vector store may spill up to LANES - 1 columns past the tile row; the next
     * row's stores overwrite them, and past the last row they land in the stride's slack.
     */
    private static void transformInput(Conv2d.Geometry g, int kdim, int c, float[] x, int xOff, int t0, int cols,
                                        float[] s, int vAt, int xiStride, int planeOff, int rowOff, int tmpOff) {
        int th = tileRows(g);
        int tw = tileCols(g);
        int perImage = th * tw;
        int pw = planeWidth(g);
        int psz = planeSize(g);
        int end = t0 + cols;
        for (int t = t0; t < end; ) {
            int n = t / perImage;
            int first = t - n * perImage;
            int last = Math.min(end - n * perImage, perImage);
            int a0 = first / tw;
            int a1 = (last - 1) / tw;
            fillPhases(g, x, xOff + (n * kdim + c) * g.h() * g.w(), a0, a1, s, planeOff, psz, rowOff);
            for (int a = a0; a <= a1; a++) {
                int bLo = a == a0 ? first - a * tw : 0;
                int bHi = a == a1 ? last - a * tw : tw;
                for (int bb = bLo; bb < bHi; bb += LANES) {
                    int k = 4 * (a - a0) * pw + bb;
                    int dst = vAt + n * perImage + a * tw + bb - t0;
                    // B^T d: patch column j is phase j % 4 at tile offset j / 4, its six rows pw apart.
                    for (int j = 0; j < 6; j++) {
                        inputTransform6(s, planeOff + (j & 3) * psz + k + (j >> 2), pw, tmpOff + j * LANES,
                                6 * LANES);
                    }
                    // (B^T d) B: each row of the first pass, into V's six points of that row.
                    for (int i = 0; i < 6; i++) {
                        inputTransform6(s, tmpOff + 6 * i * LANES, LANES, dst + 6 * i * xiStride, xiStride);
                    }
                }
            }
            t = n * perImage + last;
        }
    }

    /**
     * Six vectors at {@code s[at + k*step]}, k = 0..5, times B^T, into {@code s[dst + i*dstStep]}: the one-dimensional
     * input transform of F(4, 3), for LANES tiles at once. Vectors stay inside this method (a vector passed to a
     * helper C2 does not inline is boxed).
     */
    private static void inputTransform6(float[] s, int at, int step, int dst, int dstStep) {
        FloatVector d0 = FloatVector.fromArray(SPECIES, s, at);
        FloatVector d1 = FloatVector.fromArray(SPECIES, s, at + step);
        FloatVector d2 = FloatVector.fromArray(SPECIES, s, at + 2 * step);
        FloatVector d3 = FloatVector.fromArray(SPECIES, s, at + 3 * step);
        FloatVector d4 = FloatVector.fromArray(SPECIES, s, at + 4 * step);
        FloatVector d5 = FloatVector.fromArray(SPECIES, s, at + 5 * step);
        // rows of B^T: 4d0 - 5d2 + d4; -4(d1 + d2) + d3 + d4; 4(d1 - d2) - d3 + d4; -2(d1 - d3) - d2 + d4;
        // 2(d1 - d3) - d2 + d4; 4d1 - 5d3 + d5
        FloatVector p = d2.mul(-4f).add(d4);
        FloatVector q = d1.mul(-4f).add(d3);
        FloatVector r = d4.sub(d2);
        FloatVector u = d3.sub(d1).mul(2f);
        d0.mul(4f).add(d2.mul(-5f)).add(d4).intoArray(s, dst);
        p.add(q).intoArray(s, dst + dstStep);
        p.sub(q).intoArray(s, dst + 2 * dstStep);
        r.add(u).intoArray(s, dst + 3 * dstStep);
        r.sub(u).intoArray(s, dst + 4 * dstStep);
        d1.mul(4f).add(d3.mul(-5f)).add(d5).intoArray(s, dst + 5 * dstStep);
    }

    /**
     * The column phases of input rows 4*a0 - 1 .. 4*a1 + 4 of one channel plane x [H, W]:
     * {@code Q_q[(i - 4*a0 + 1)*pw + b] = x[i, 4b + q - 1]}, zero outside the image, for 0 &lt;= b &lt;= tw, at
     * {@code s[planeOff + q*psz + ...]}. Patch element d[r][j] of tile (a, b) is then Q_{j%4} at row 4a - 1 + r and
     * column b + j/4, so one vector load gives it for LANES neighbouring tiles. Each row is split twice into even
     * and odd columns: by 2 into the buffer after {@code rowOff}'s, then each half by 2 again.
     */
    private static void fillPhases(Conv2d.Geometry g, float[] x, int plane, int a0, int a1, float[] s, int planeOff,
                                   int psz, int rowOff) {
        int h = g.h();
        int w = g.w();
        int pw = planeWidth(g);
        int even = rowOff + rowSize(g);
        int odd = even + 2 * pw + 2 * LANES;
        int i0 = 4 * a0 - 1;
        for (int i = i0; i <= 4 * a1 + 4; i++) {
            int row = planeOff + (i - i0) * pw;
            if (i < 0 || i >= h) {
                for (int q = 0; q < 4; q++) {
                    Arrays.fill(s, row + q * psz, row + q * psz + pw, 0f);
                }
                continue;
            }
            // The zero-bordered row: column j - 1 at rowOff + j, so phase q of tile column b is at 4b + q.
            System.arraycopy(x, plane + i * w, s, rowOff + 1, w);
            for (int k = 0; k < 2 * pw; k += LANES) {
                FloatVector v0 = FloatVector.fromArray(SPECIES, s, rowOff + 2 * k);
                FloatVector v1 = FloatVector.fromArray(SPECIES, s, rowOff + 2 * k + LANES);
                v0.rearrange(EVEN).blend(v1.rearrange(EVEN), UPPER_HALF).intoArray(s, even + k);
                v0.rearrange(ODD).blend(v1.rearrange(ODD), UPPER_HALF).intoArray(s, odd + k);
            }
            for (int b = 0; b < pw; b += LANES) {
                FloatVector v0 = FloatVector.fromArray(SPECIES, s, even + 2 * b);
                FloatVector v1 = FloatVector.fromArray(SPECIES, s, even + 2 * b + LANES);
                v0.rearrange(EVEN).blend(v1.rearrange(EVEN), UPPER_HALF).intoArray(s, row + b);
                v0.rearrange(ODD).blend(v1.rearrange(ODD), UPPER_HALF).intoArray(s, row + 2 * psz + b);
                v0 = FloatVector.fromArray(SPECIES, s, odd + 2 * b);
                v1 = FloatVector.fromArray(SPECIES, s, odd + 2 * b + LANES);
                v0.rearrange(EVEN).blend(v1.rearrange(EVEN), UPPER_HALF).intoArray(s, row + psz + b);
                v0.rearrange(ODD).blend(v1.rearrange(ODD), UPPER_HALF).intoArray(s, row + 3 * psz + b);
            }
        }
    }

    /**
     * Output channel o of tiles t0 .. t0+cols-1: y (or dx when accumulating) from M[xi][o][t - t0] at
     * {@code s[mAt + xi*xiStride + t - t0]}, plus bias: A^T M A for LANES tiles of a tile row at once, its four rows
     * interleaved into the four row buffers from {@code rowOff}, then cropped into y.
     */
    private static void transformOutput(Conv2d.Geometry g, int rows, int o, float[] s, int mAt, int xiStride,
                                         int t0, int cols, float bias, float[] y, int yOff, boolean accumulate,
                                         int rowOff, int tmpOff) {
        int th = tileRows(g);
        int tw = tileCols(g);
        int h = g.h();
        int w = g.w();
        int perImage = th * tw;
        int rowSize = rowSize(g);
        int end = t0 + cols;
        float added = accumulate ? 0f : bias;
        for (int t = t0; t < end; ) {
            int n = t / perImage;
            int a = (t - n * perImage) / tw;
            int bLo = t - n * perImage - a * tw;
            int bHi = Math.min(tw, end - n * perImage - a * tw);
            for (int bb = bLo; bb < bHi; bb += LANES) {
                int m = mAt + t - t0 + bb - bLo;
                // A^T M: each column j of M (points j, 6 + j, .., 30 + j), into four rows of tmp.
                for (int j = 0; j < 6; j++) {
                    outputColumn6(s, m + j * xiStride, 6 * xiStride, tmpOff + j * LANES, 6 * LANES);
                }
                // (A^T M) A: each of the four rows, interleaved into output row i at column 4*bb.
                for (int i = 0; i < 4; i++) {
                    outputRow6(s, tmpOff + 6 * i * LANES, added, rowOff + i * rowSize + 4 * bb, true);
                }
            }
            int from = 4 * bLo;
            int to = Math.min(4 * bHi, w);
            int rowsHere = Math.min(4, h - 4 * a);
            int rowAt = yOff + (n * rows + o) * h * w + 4 * a * w;
            for (int r = 0; r < rowsHere; r++) {
                int dst = rowAt + r * w;
                int src = rowOff + r * rowSize;
                if (accumulate) {
                    Add.accumulate(s, src + from, y, dst + from, to - from);
                } else {
                    System.arraycopy(s, src + from, y, dst + from, to - from);
                }
            }
            t += bHi - bLo;
        }
    }

    /** Six vectors at {@code s[at + k*step]} times A^T, into four at {@code s[dst + i*dstStep]}. */
    private static void outputColumn6(float[] s, int at, int step, int dst, int dstStep) {
        FloatVector m0 = FloatVector.fromArray(SPECIES, s, at);
        FloatVector m1 = FloatVector.fromArray(SPECIES, s, at + step);
        FloatVector m2 = FloatVector.fromArray(SPECIES, s, at + 2 * step);
        FloatVector m3 = FloatVector.fromArray(SPECIES, s, at + 3 * step);
        FloatVector m4 = FloatVector.fromArray(SPECIES, s, at + 4 * step);
        FloatVector m5 = FloatVector.fromArray(SPECIES, s, at + 5 * step);
        FloatVector p = m1.add(m2);
        FloatVector q = m1.sub(m2);
        FloatVector r = m3.add(m4);
        FloatVector u = m3.sub(m4);
        m0.add(p).add(r).intoArray(s, dst);
        q.add(u.mul(2f)).intoArray(s, dst + dstStep);
        p.add(r.mul(4f)).intoArray(s, dst + 2 * dstStep);
        q.add(u.mul(8f)).add(m5).intoArray(s, dst + 3 * dstStep);
    }

    /**
     * Six vectors at {@code s[at + k*LANES]} times A^T plus bias: four output columns of LANES tiles, stored as four
     * vectors from {@code s[dst]}, interleaved (tile by tile, four columns each: a tile row's output row) or not
     * (column by column: {@link #runSets}'s ys).
     */
    private static void outputRow6(float[] s, int at, float bias, int dst, boolean interleave) {
        FloatVector m0 = FloatVector.fromArray(SPECIES, s, at);
        FloatVector m1 = FloatVector.fromArray(SPECIES, s, at + LANES);
        FloatVector m2 = FloatVector.fromArray(SPECIES, s, at + 2 * LANES);
        FloatVector m3 = FloatVector.fromArray(SPECIES, s, at + 3 * LANES);
        FloatVector m4 = FloatVector.fromArray(SPECIES, s, at + 4 * LANES);
        FloatVector m5 = FloatVector.fromArray(SPECIES, s, at + 5 * LANES);
        FloatVector p = m1.add(m2);
        FloatVector q = m1.sub(m2);
        FloatVector r = m3.add(m4);
        FloatVector u = m3.sub(m4);
        FloatVector y0 = m0.add(p).add(r).add(bias);
        FloatVector y1 = q.add(u.mul(2f)).add(bias);
        FloatVector y2 = p.add(r.mul(4f)).add(bias);
        FloatVector y3 = q.add(u.mul(8f)).add(m5).add(bias);
        if (!interleave) {
            y0.intoArray(s, dst);
            y1.intoArray(s, dst + LANES);
            y2.intoArray(s, dst + 2 * LANES);
            y3.intoArray(s, dst + 3 * LANES);
            return;
        }
        // zip(y0, y2) and zip(y1, y3), then zip of those: y0 y1 y2 y3 of tile 0, then of tile 1, ..
        FloatVector aLo = y0.rearrange(HALF_LO).blend(y2.rearrange(HALF_LO), ODD_LANES);
        FloatVector aHi = y0.rearrange(HALF_HI).blend(y2.rearrange(HALF_HI), ODD_LANES);
        FloatVector bLo = y1.rearrange(HALF_LO).blend(y3.rearrange(HALF_LO), ODD_LANES);
        FloatVector bHi = y1.rearrange(HALF_HI).blend(y3.rearrange(HALF_HI), ODD_LANES);
        aLo.rearrange(HALF_LO).blend(bLo.rearrange(HALF_LO), ODD_LANES).intoArray(s, dst);
        aLo.rearrange(HALF_HI).blend(bLo.rearrange(HALF_HI), ODD_LANES).intoArray(s, dst + LANES);
        aHi.rearrange(HALF_LO).blend(bHi.rearrange(HALF_LO), ODD_LANES).intoArray(s, dst + 2 * LANES);
        aHi.rearrange(HALF_HI).blend(bHi.rearrange(HALF_HI), ODD_LANES).intoArray(s, dst + 3 * LANES);
    }

    /**
     * The convolution of the first {@code sets * LANES} images with images in vector lanes: tile slot (set, a, b) holds
     * tile (a, b) of images set*LANES .. set*LANES + LANES - 1 in its LANES columns, so every transform vector is
     * full whatever the image size (a 7x7 image has four tiles, a tile row of 14x14 four). The transforms are the
     * tile-row path's own ({@link #inputTransform6}, {@link #outputColumn6}, {@link #outputRow6}), so a tile gets
     * the same bits on either path.
     */
    private static void runSets(Conv2d.Geometry g, int sets, int rows, int kdim, float[] u, float[] in, int inOff,
                                float[] b, int bOff, float[] out, int outOff, boolean accumulate, float[] scratch) {
        int ps = VectorConv.packedSize(rows, kdim, 1);
        int group = group(g);
        int stride = stride(g);
        int vOff = POINTS * ps;
        int mOff = vOff + POINTS * kdim * stride;
        int tmpOff = mOff + POINTS * rows * stride + 4 * planeSize(g) + 6 * rowSize(g);
        int th = tileRows(g);
        int tw = tileCols(g);
        int xsOff = tmpOff + POINTS * LANES;
        int ysOff = xsOff + xsSize(g);
        // The zero border of xs: only rows 1..h and columns 1..w are ever written.
        Arrays.fill(scratch, xsOff, ysOff, 0f);
        int slots = sets * th * tw;
        int perGroup = group / LANES;
        int[] termAt = VectorConv.termOffsets(kdim, 1, stride, NO_SHIFT);
        int[] lanesAt = laneOffsets(kdim * g.h() * g.w());
        for (int s0 = 0; s0 < slots; s0 += perGroup) {
            int count = Math.min(perGroup, slots - s0);
            for (int c = 0; c < kdim; c++) {
                transformInputSets(g, kdim, c, in, inOff, s0, count, scratch, vOff + c * stride, kdim * stride,
                        xsOff, tmpOff, lanesAt);
            }
            for (int xi = 0; xi < 36; xi++) {
                VectorConv.product(rows, kdim, u, xi * ps, scratch, vOff + xi * kdim * stride, termAt,
                        scratch, mOff + xi * rows * stride, stride, count * LANES, false);
            }
            for (int o = 0; o < rows; o++) {
                float bias = b == null ? 0f : b[bOff + o];
                transformOutputSets(g, rows, o, scratch, mOff + o * stride, rows * stride, s0, count, bias, out,
                        outOff, accumulate, ysOff, ysOff + ysSize(g), tmpOff);
            }
        }
    }

    /** V[xi][c][(slot - s0)*LANES + l] of slots s0 .. s0+count-1 (see {@link #runSets}), through xs. */
    private static void transformInputSets(Conv2d.Geometry g, int kdim, int c, float[] x, int xOff, int s0,
                                           int count, float[] s, int vAt, int xiStride, int xsOff, int tmpOff,
                                           int[] lanesAt) {
        int th = tileRows(g);
        int tw = tileCols(g);
        int h = g.h();
        int w = g.w();
        int perSet = th * tw;
        int xw = (4 * tw + 2) * LANES;
        int end = s0 + count;
        for (int t = s0; t < end; ) {
            int set = t / perSet;
            int first = t - set * perSet;
            int last = Math.min(end - set * perSet, perSet);
            // Rows 4*a0 .. 4*a1 + 5 of xs hold what these slots read (xs row p, column q is the image's p - 1, q - 1).
            int p0 = Math.max(1, 4 * (first / tw));
            int p1 = Math.min(h, 4 * ((last - 1) / tw) + 5);
            gatherSet(x, xOff + (set * LANES * kdim + c) * h * w, g.n() - set * LANES, lanesAt, p0 - 1, p1, w, s,
                    xsOff + xw + LANES, xw);
            for (int slot = first; slot < last; slot++) {
                int a = slot / tw;
                int bt = slot - a * tw;
                int at = xsOff + 4 * a * xw + 4 * bt * LANES;
                int dst = vAt + (set * perSet + slot - s0) * LANES;
                for (int j = 0; j < 6; j++) {
                    inputTransform6(s, at + j * LANES, xw, tmpOff + j * LANES, 6 * LANES);
                }
                for (int i = 0; i < 6; i++) {
                    inputTransform6(s, tmpOff + 6 * i * LANES, LANES, dst + 6 * i * xiStride, xiStride);
                }
            }
            t = set * perSet + last;
        }
    }

    /** Output channel o of slots s0 .. s0+count-1 (see {@link #runSets}): A^T M A into ys, then cropped into y. */
    private static void transformOutputSets(Conv2d.Geometry g, int rows, int o, float[] s, int mAt, int xiStride,
                                            int s0, int count, float bias, float[] y, int yOff, boolean accumulate,
                                            int ysOff, int rowOff, int tmpOff) {
        int th = tileRows(g);
        int tw = tileCols(g);
        int h = g.h();
        int w = g.w();
        int perSet = th * tw;
        int yw = 4 * tw * LANES;
        float added = accumulate ? 0f : bias;
        int end = s0 + count;
        for (int t = s0; t < end; ) {
            int set = t / perSet;
            int first = t - set * perSet;
            int last = Math.min(end - set * perSet, perSet);
            for (int slot = first; slot < last; slot++) {
                int a = slot / tw;
                int bt = slot - a * tw;
                int m = mAt + (set * perSet + slot - s0) * LANES;
                for (int j = 0; j < 6; j++) {
                    outputColumn6(s, m + j * xiStride, 6 * xiStride, tmpOff + j * LANES, 6 * LANES);
                }
                for (int i = 0; i < 4; i++) {
                    outputRow6(s, tmpOff + 6 * i * LANES, added, ysOff + (4 * a + i) * yw + 4 * bt * LANES, false);
                }
            }
            // Crop into y: tile row by tile row, the columns of its slots in this group, gathered from ys one
            // image's row at a time into the row buffer (a gather may read past the row: ys has slack).
            for (int a = first / tw; a <= (last - 1) / tw; a++) {
                int from = 4 * Math.max(0, first - a * tw);
                int to = Math.min(4 * Math.min(tw, last - a * tw), w);
                int rowsHere = Math.min(4, h - 4 * a);
                for (int l = 0; l < LANES; l++) {
                    int plane = yOff + ((set * LANES + l) * rows + o) * h * w;
                    for (int r = 4 * a; r < 4 * a + rowsHere; r++) {
                        int src = ysOff + r * yw + from * LANES + l;
                        int dst = plane + r * w + from;
                        int whole = (to - from) / LANES * LANES;
                        for (int j = 0; j < whole; j += LANES) {
                            FloatVector v = FloatVector.fromArray(SPECIES, s, src + j * LANES, COLUMNS_AT, 0);
                            if (accumulate) {
                                v = FloatVector.fromArray(SPECIES, y, dst + j).add(v);
                            }
                            v.intoArray(y, dst + j);
                        }
                        if (whole < to - from) {
                            FloatVector.fromArray(SPECIES, s, src + whole * LANES, COLUMNS_AT, 0).intoArray(s, rowOff);
                            for (int j = whole; j < to - from; j++) {
                                y[dst + j] = accumulate ? y[dst + j] + s[rowOff + j - whole] : s[rowOff + j - whole];
                            }
                        }
                    }
                }
            }
            t = set * perSet + last;
        }
    }

    /** dw[o, c] += G^T dU[.][o][c] G of F(4x4, 3x3), in double, from du and duT as weightGradient lays them out. */
    private static void weightsFromTransformed(int cin, int cout, int outer, float[] s, int duOff, int duTOff,
                                                float[] dw, int dwOff) {
        int rest = cout - outer;
        double[] u = new double[36];
        double[] t = new double[18];
        for (int o = 0; o < cout; o++) {
            for (int c = 0; c < cin; c++) {
                for (int xi = 0; xi < 36; xi++) {
                    u[xi] = o < outer ? s[duTOff + (xi * cin + c) * outer + o]
                            : s[duOff + (xi * rest + o - outer) * cin + c];
                }
                // t = G^T dU (3x6), column by column, then dw = t G (3x3), row by row
                for (int j = 0; j < 6; j++) {
                    gradientTransform6(u[j], u[6 + j], u[12 + j], u[18 + j], u[24 + j], u[30 + j], t, j, 6);
                }
                // (u is free again: dw's 3x3 go to its first nine)
                for (int v = 0; v < 3; v++) {
                    gradientTransform6(t[6 * v], t[6 * v + 1], t[6 * v + 2], t[6 * v + 3], t[6 * v + 4], t[6 * v + 5],
                            u, 3 * v, 1);
                }
                int dst = dwOff + (o * cin + c) * 9;
                for (int i = 0; i < 9; i++) {
                    dw[dst + i] += (float) u[i];
                }
            }
        }
    }

    /** G^T (u0, .., u5)^T into {@code out[off + i*step]}, i = 0..2, in double. */
    private static void gradientTransform6(double u0, double u1, double u2, double u3, double u4, double u5,
                                           double[] out, int off, int step) {
        double s12 = u1 + u2;
        double s34 = u3 + u4;
        out[off] = u0 / 4 + (s34 / 4 - s12) * SIXTH;
        out[off + step] = ((u2 - u1) + (u3 - u4) / 2) * SIXTH;
        out[off + 2 * step] = (s34 - s12) * SIXTH + u5;
    }

    /**
     * dM[xi][o][(slot - s0)*LANES + l] = (A dy A^T)[xi] of F(4x4, 3x3) for slots s0 .. s0+count-1 (see
     * {@link #runSets}), dy gathered into ys (zero past its last row and column: a cropped output has no gradient;
     * zero in the lanes past the last image).
     */
    private static void transformGradientSets(Conv2d.Geometry g, int o, float[] dy, int dyOff, int s0, int count,
                                              float[] s, int mAt, int xiStride, int ysOff, int tmpOff,
                                              int[] lanesAt) {
        int th = tileRows(g);
        int tw = tileCols(g);
        int h = g.h();
        int w = g.w();
        int perSet = th * tw;
        int yw = 4 * tw * LANES;
        int end = s0 + count;
        for (int t = s0; t < end; ) {
            int set = t / perSet;
            int first = t - set * perSet;
            int last = Math.min(end - set * perSet, perSet);
            int r0 = 4 * (first / tw);
            int r1 = Math.min(h, 4 * ((last - 1) / tw) + 4);
            gatherSet(dy, dyOff + (set * LANES * g.cout() + o) * h * w, g.n() - set * LANES, lanesAt, r0, r1, w, s,
                    ysOff, yw);
            for (int slot = first; slot < last; slot++) {
                int a = slot / tw;
                int bt = slot - a * tw;
                gradientTile(s, ysOff + 4 * a * yw + 4 * bt * LANES, yw, tmpOff,
                        mAt + (set * perSet + slot - s0) * LANES, xiStride);
            }
            t = set * perSet + last;
        }
    }

    /**
     * dM transposed, {@code s[mTAt + xi*xiStride + ((slot - s0)*LANES + l)*colStride + k]} = (A dy A^T)[xi] of output
     * channel o0 + k, k &lt; LANES, for image l of slots s0 .. s0+count-1 (see {@link #runSets}): the layout
     * {@link VectorConv#correlateOuter} reads, written directly with channels in vector lanes (dy's LANES channel
     * planes of one image gathered into ys at a time) instead of by {@link #transformGradientSets} and a transpose.
     * The same sums on the same values as there, lane for lane, so the same bits; the padded images past the last
     * get zeros.
     */
    private static void transformGradientChannels(Conv2d.Geometry g, int o0, float[] dy, int dyOff, int s0,
                                                  int count, float[] s, int mTAt, int xiStride, int colStride,
                                                  int ysOff, int tmpOff, int[] channelsAt) {
        int th = tileRows(g);
        int tw = tileCols(g);
        int h = g.h();
        int w = g.w();
        int perSet = th * tw;
        int yw = 4 * tw * LANES;
        int end = s0 + count;
        for (int t = s0; t < end; ) {
            int set = t / perSet;
            int first = t - set * perSet;
            int last = Math.min(end - set * perSet, perSet);
            int r0 = 4 * (first / tw);
            int r1 = Math.min(h, 4 * ((last - 1) / tw) + 4);
            for (int l = 0; l < LANES; l++) {
                int n = set * LANES + l;
                if (n >= g.n()) {
                    for (int slot = first; slot < last; slot++) {
                        int dst = mTAt + ((set * perSet + slot - s0) * LANES + l) * colStride;
                        for (int xi = 0; xi < POINTS; xi++) {
                            Arrays.fill(s, dst + xi * xiStride, dst + xi * xiStride + LANES, 0f);
                        }
                    }
                    continue;
                }
                gatherSet(dy, dyOff + (n * g.cout() + o0) * h * w, LANES, channelsAt, r0, r1, w, s, ysOff, yw);
                for (int slot = first; slot < last; slot++) {
                    int a = slot / tw;
                    int bt = slot - a * tw;
                    gradientTile(s, ysOff + 4 * a * yw + 4 * bt * LANES, yw, tmpOff,
                            mTAt + ((set * perSet + slot - s0) * LANES + l) * colStride, xiStride);
                }
            }
            t = set * perSet + last;
        }
    }

    /**
     * Rows r0 .. r1-1 of a channel of LANES images (image l's plane at {@code x[plane + l*lanesAt[1]]}, w columns)
     * into {@code s[at + r*rowStride + j*LANES + l]}, image l in lane l: one gather per element, or, with fewer than
     * LANES images left ({@code live}), element by element with zeros in the empty lanes.
     */
    private static void gatherSet(float[] x, int plane, int live, int[] lanesAt, int r0, int r1, int w, float[] s,
                                  int at, int rowStride) {
        for (int r = r0; r < r1; r++) {
            int src = plane + r * w;
            int dst = at + r * rowStride;
            if (live >= LANES) {
                for (int j = 0; j < w; j++) {
                    FloatVector.fromArray(SPECIES, x, src + j, lanesAt, 0).intoArray(s, dst + j * LANES);
                }
            } else {
                for (int j = 0; j < w; j++) {
                    for (int l = 0; l < LANES; l++) {
                        s[dst + j * LANES + l] = l < live ? x[src + j + lanesAt[l]] : 0f;
                    }
                }
            }
        }
    }

    /**
     * A dy A^T of one tile: dy's 4x4 vectors from {@code s[at]} (rows {@code rowStride} apart), through tmp, into the
     * 36 vectors {@code s[dst + xi*xiStride]}.
     */
    private static void gradientTile(float[] s, int at, int rowStride, int tmpOff, int dst, int xiStride) {
        for (int j = 0; j < 4; j++) {
            gradientTransform4(s, at + j * LANES, rowStride, tmpOff + j * LANES, 4 * LANES);
        }
        for (int k = 0; k < 6; k++) {
            gradientTransform4(s, tmpOff + 4 * k * LANES, LANES, dst + 6 * k * xiStride, xiStride);
        }
    }

    /**
     * Four vectors at {@code s[at + k*step]} times A (6x4, the transpose of A^T), into six at
     * {@code s[dst + i*dstStep]}: the one-dimensional gradient transform of F(4, 3).
     */
    private static void gradientTransform4(float[] s, int at, int step, int dst, int dstStep) {
        FloatVector d0 = FloatVector.fromArray(SPECIES, s, at);
        FloatVector d1 = FloatVector.fromArray(SPECIES, s, at + step);
        FloatVector d2 = FloatVector.fromArray(SPECIES, s, at + 2 * step);
        FloatVector d3 = FloatVector.fromArray(SPECIES, s, at + 3 * step);
        // rows of A: (1 0 0 0), (1 1 1 1), (1 -1 1 -1), (1 2 4 8), (1 -2 4 -8), (0 0 0 1)
        FloatVector p = d0.add(d2);
        FloatVector q = d1.add(d3);
        FloatVector r = d0.add(d2.mul(4f));
        FloatVector u = d1.add(d3.mul(4f)).mul(2f);
        d0.intoArray(s, dst);
        p.add(q).intoArray(s, dst + dstStep);
        p.sub(q).intoArray(s, dst + 2 * dstStep);
        r.add(u).intoArray(s, dst + 3 * dstStep);
        r.sub(u).intoArray(s, dst + 4 * dstStep);
        d3.intoArray(s, dst + 5 * dstStep);
    }
}
