package io.sparkdiffusion.tensor.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(2x2, 3x3) and F(4x4, 3x3) (Lavin and Gray 2016, "Fast Algorithms for Convolutional Neural Networks")
 * for the stride-1, padding-1 3x3 convolutions: each 2x2 output tile costs 16 multiplies per (input, output) channel
 * pair instead of 36, each 4x4 tile 36 instead of 144. The forward pass and input gradient run on the tile
 * {@link Choice#tile} picks (4x4 wherever Winograd runs), the weight gradient on 2x2 tiles.
 *
 * <pre>
 * x  [N, Cin, H, W]      w [Cout, Cin, 3, 3]      y [N, Cout, H, W]       th = ceil(H/2), tw = ceil(W/2)
 * tile t = (n, a, b), t = n*th*tw + a*tw + b: output rows 2a, 2a+1 and columns 2b, 2b+1 of image n; it reads the
 *          4x4 patch d = x[n, c, 2a-1 .. 2a+2, 2b-1 .. 2b+2] (zero outside the image)
 * U [16][Cout][Cin]      U[.][o][c] = G w[o, c] G^T          (weight transform, 4x4 laid out as xi = 4r + s)
 * V [16][Cin][T]         V[.][c][t] = B^T d B                 (input transform)
 * M [16][Cout][T]        M[xi] = U[xi] V[xi]                  (16 independent products: {@link VectorConv#product})
 * y[n, o, 2a+i, 2b+j] = (A^T M[.][o][t] A)[i][j] (+ b[o])      (output transform, cropped to H x W)
 * G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 * A^T = [1 1 1 0; 0 1 -1 -1]
 * </pre>
 * F(4x4, 3x3) is the same with 6x6 patches, 36 points and the matrices written out before {@link #transformWeights4}.
 *
 * <p>The tiles of a batch are taken {@link #GROUP} ({@link #GROUP4}) at a time, with tiles in vector lanes for the
 * transforms and as the product's columns: neighbouring tiles of a tile row of one image, or, for 4x4 tiles of
 * batches of LANES images or more, the same tile of LANES images ({@link #runSets}: at 7x7 a tile row holds two 4x4
 * tiles, a quarter of an AVX2 vector). Every output element is still the sum over input channels in one fixed order
 * in its own lane, a tile's transforms read only its own image and run the same operations on either layout: an
 * image's output is bit for bit the same whatever else is in the batch.
 *
 * <p>The input gradient of a 3x3 padding-1 convolution is the same convolution of dy with the weights flipped
 * and transposed ({@code w'[c, o, u, v] = w[o, c, 2-u, 2-v]}). The weight gradient runs the products backwards,
 * {@code dU[xi] = sum_t dM[xi][.][t] V[xi][.][t]^T} with {@code dM = A dy A^T}, then {@code dw = G^T dU G}: 16
 * multiplies per tile and channel pair again (see {@link #weightGradient}). The weight transform runs on each
 * call: it costs 16 * Cout * Cin against the products' 16 * Cout * Cin * T multiply-adds.
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
        /** The measured rule of {@code auto} for the weight gradient, within RULE. */
        private static final String WEIGHT_RULE = "H, W >= 14 and Cin >= 96";

        static {
            System.getLogger(Winograd.class.getName()).log(System.Logger.Level.INFO, "spark-diffusion 3x3 padding-1 "
                    + "convolutions: " + describe() + " (" + ShiftedConv.ENGINE_PROPERTY + "=" + MODE + ")");
        }

        private Choice() {
        }

        /**
         * The shapes where Winograd measured faster than the vector shifted products (UNetBench per-op profile and
         * KernelBench engines, batch 64). Against the products' 4 x 4 block (Intel Cooperlake, 2026-12-01, where
         * AVX-512 machines still ran it; AVX2 machines run it today), from 14x14 with 16 or more channels each way:
         * at 7x7 a tile row is 4 tiles, a quarter of a 16-float vector, and the transforms cost more than the
         * products save; with a single input or output channel there is nothing to save. Against the 8 x 3 block
         * that AVX-512 machines run since ({@link VectorConv#WIDE}), nowhere: on an AMD EPYC (Zen 5, 2026-12-04)
         * the direct products' forward was faster at every unet-small shape, and the 3x3 convolutions' share of a
         * UNetBench profile fell by 5 % in training (where {@link NormSiluConv} then fuses every layer) and 10 %
         * in a batch-256 forward pass without it. Against the 6 x 2 block AVX2 machines run since 2026-12-07 (AMD
         * EPYC, Zen 3), Winograd still computed the forward and input gradient faster from 7x7 on (KernelBench
         * engines: 57 to 95 GFLOP/s against the products' 48 to 62), and in UNetBench the 7x7 layers' forward took
         * 26 to 32 ms per step with it against 37 to 38 without (128 -> 64), 18 to 21 against 24 and 25 (64 -> 64
         * with the embedding), their backward the same within the VM's noise.
         */
        static boolean wins(Conv2d.Geometry g) {
            return !VectorConv.WIDE && g.h() >= 7 && g.w() >= 7 && g.cin() >= 16 && g.cout() >= 16;
        }

        /**
         * Where the weight gradient also runs here, within {@link #applies}: from 14x14 with 96 or more input
         * channels. Its transforms cost per channel and its products per pair of channels, so it pays where the
         * input is wide. Against the shifted-rows correlation with the 4 x 4 blocks (Intel Cooperlake) it had
         * measured faster at 28x28 and with 64 or more input channels at 14x14. Since AVX2 machines run the direct
         * weight gradient in lanes ({@link VectorConv#correlateOuter}, 6 x 2 blocks) and Winograd's products the
         * same way (2026-12-07, AMD EPYC, Zen 3, KernelBench engines, two runs), the direct one took 14.5 to 15.3 ms
         * against Winograd's 17.3 to 18.9 for 32 -> 32 at 28x28, 27.2 to 27.4 against 32.8 (64 -> 32), 9.0 to 9.2
         * against 10.7 (32 -> 64 at 14x14), 16.4 to 16.5 against 15.8 to 16.8 (64 -> 64), 4.9 to 5.0 against 5.5
         * to 6.0 (64 -> 64 at 7x7), and Winograd won for 96 -> 32 at 28x28 (34.3 to 34.5 against 40.0) and 128 ->
         * 64 at 14x14 (24.2 against 31.2 to 31.9); in UNetBench (training, batch 64, this rule and the one before it
         * alternating three times) the backward pass took 1,064 to 1,101 ms per step against 1,143 to 1,199. On
         * AVX-512 machines {@link #wins} leaves Winograd nothing.
         */
        static boolean weightGradientWins(Conv2d.Geometry g) {
            return g.h() >= 14 && g.w() >= 14 && g.cin() >= 96;
        }

        /**
         * The output tile of g's forward pass and input gradient: 4, F(4x4, 3x3), for every convolution Winograd
         * runs. Against F(2x2, 3x3) on the AMD EPYC (Zen 3, AVX2, 2026-12-07, batch 64, images in lanes), forward
         * and input gradient of every unet-small shape: 32 -> 32 at 28x28 10.2 to 11.5 ms against 12.7 to 13.2
         * (forward), 96 -> 32 at 28x28 23.7 to 27.0 against 31.3 to 35.7, 128 -> 64 at 14x14 15.9 to 16.3 against
         * 19.3 to 21.1, 64 -> 64 at 7x7 2.5 to 3.3 against 4.0 to 4.2; the input gradients 5 to 30 % faster; a
         * UNetBench training step 1.56 to 1.62 s against 1.74 to 1.87. The tile never depends on the batch, so that
         * an image's output does not either.
         */
        static int tile(Conv2d.Geometry g) {
            return 4;
        }

        /** The geometries Winograd F(2x2, 3x3) computes: 3x3 kernel, stride 1, padding 1. */
        static boolean supports(Conv2d.Geometry g) {
            return g.kh() == 3 && g.kw() == 3 && g.stride() == 1 && g.pad() == 1;
        }

        /** Which 3x3 padding-1 convolutions run here, for the log and the benchmark's engine line. */
        static String describe() {
            return switch (MODE) {
                case PROPERTY_VALUE -> "winograd F(4x4,3x3) for all 3x3 padding 1 (weight gradient F(2x2,3x3))";
                case "auto" -> VectorConv.WIDE
                        ? "no winograd (auto: with AVX-512 the shifted products measured faster at every shape)"
                        : "winograd F(4x4,3x3) where " + RULE + " (weight gradient F(2x2,3x3) where also " + WEIGHT_RULE
                        + ")";
                default -> "no winograd";
            };
        }

        /** True when g's weight gradient runs on Winograd, given that the vector engine runs the stride-1 ones. */
        static boolean appliesToWeightGradient(Conv2d.Geometry g) {
            return applies(g) && (MODE.equals(PROPERTY_VALUE) || weightGradientWins(g));
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
    /**
     * Tiles per group: the products' column count, a whole number of {@link VectorConv#BLOCK}s, about 256 (four
     * blocks of 64 columns, five of 48): in the U-Net profile one block of 64 lost Winograd's gain (the 16
     * products' packed weights are streamed once per group).
     */
    static final int GROUP = VectorConv.BLOCK * Math.max(1, 256 / VectorConv.BLOCK);
    /**
     * Tiles per group of F(4x4, 3x3): 2.25 times F(2x2)'s points per tile, so half the tiles keep the scratch near
     * F(2x2)'s (32 -> 32 at 28x28, batch 64: groups of 32, 64, 128 and 256 tiles took 11.1, 10.3, 10.1 and 9.9 ms).
     */
    static final int GROUP4 = VectorConv.BLOCK * Math.max(1, 128 / VectorConv.BLOCK);
    private static final int XI = 16;
    /** The index map of a gather of LANES columns of ys (see {@link #transformOutputSets}). */
    private static final int[] COLUMNS_AT = laneOffsets(LANES);

    /** {0, step, 2*step, ..}: a gather's index map over LANES elements step apart. */
    private static int[] laneOffsets(int step) {
        int[] at = new int[LANES];
        for (int l = 0; l < LANES; l++) {
            at[l] = l * step;
        }
        return at;
    }
    /** The one tap of the transformed-domain products and correlations: no shift. */
    private static final int[] NO_SHIFT = {0};
    /**
     * Most tiles per group of the weight gradient: each group ends in one reduction across lanes per (xi, o, c), so
     * groups are longer than the forward pass's where the channels allow (see {@link #weightGroup}).
     */
    static final int WEIGHT_GROUP = 1024;
    /**
     * Floats the weight gradient's V and dM may take, 16 * (Cin + Cout) rows of a group: as much as groups of 512
     * tiles of 128 channels (4.3 MB), near the forward pass's largest scratch in unet-small (128 -> 64 at 14x14,
     * 3.9 MB), so that training holds about the memory it did (the whole scratch is 4.9 MB at most; the bench's
     * live heap after training steps did not move).
     */
    private static final long WEIGHT_TILE_FLOATS = (long) XI * 128 * (512 + LANES);
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

    private Winograd() {
    }

    /** Throws unless {@link Choice#supports} and m is 2 or 4. */
    private static void requireSupported(Conv2d.Geometry g, int m) {
        if (!Choice.supports(g)) {
            throw new IllegalArgumentException("Winograd F(2x2,3x3) and F(4x4,3x3) need a 3x3 kernel, stride 1 and "
                    + "padding 1, got " + g);
        }
        if (m != 2 && m != 4) {
            throw new IllegalArgumentException("Winograd output tiles are 2x2 or 4x4, got " + m + "x" + m);
        }
    }

    /** Tile rows of g for output tiles m x m (2 or 4). */
    private static int tileRows(Conv2d.Geometry g, int m) {
        return (g.h() + m - 1) / m;
    }

    private static int tileCols(Conv2d.Geometry g, int m) {
        return (g.w() + m - 1) / m;
    }

    /** Points of the transformed domain, (m + 2)^2: the products per tile of F(m x m, 3x3). */
    private static int points(int m) {
        return (m + 2) * (m + 2);
    }

    // Scratch layout, for a product with `rows` output channels over `kdim` input channels, p = points(m):
    //   ap    [p][packedSize(rows, kdim, 1)]   U packed for VectorConv
    //   v     [p][kdim][stride(g, m)]
    //   m     [p][rows][stride(g, m)]
    //   plane [4][planeSize]                   one image's channel split by column parity (m = 2: fillPlanes, also
    //                                          by row parity) or by column modulo 4 (m = 4: fillPhases)
    //   row   [rowBuffers(m)][rowSize]         an input row with its zero border, then m = 2: two rows of output;
    //                                          m = 4: its even and odd columns and four rows of output
    //   tmp   [36][LANES]                      m = 4: a transform's first half (transformInput4, transformOutput4)
    private static int planeWidth(Conv2d.Geometry g, int m) {
        return tileCols(g, m) + 1;
    }

    private static int planeSize(Conv2d.Geometry g, int m) {
        int planeRows = m == 2 ? tileRows(g, m) + 1 : 4 * tileRows(g, m) + 2;
        return planeRows * planeWidth(g, m) + 2 * LANES;
    }

    /** One row buffer: an input row with its zero border (fillPlanes, fillPhases), or one output row. */
    private static int rowSize(Conv2d.Geometry g, int m) {
        return m * planeWidth(g, m) + m * LANES;
    }

    private static int rowBuffers(int m) {
        return m == 2 ? 3 : 6;
    }

    private static int tiles(Conv2d.Geometry g, int m) {
        return g.n() * tileRows(g, m) * tileCols(g, m);
    }

    /**
     * Tiles per group of g's forward pass and input gradient: {@link #GROUP} (m = 2) or {@link #GROUP4} (m = 4), or
     * all of g's tiles rounded up to whole product blocks when there are fewer, so that a small batch takes scratch
     * for its own tiles only. A tile's sums do not depend on the others in its group, so the group changes no bits.
     */
    static int group(Conv2d.Geometry g, int m) {
        return Math.min(m == 2 ? GROUP : GROUP4, VectorConv.roundUp(tiles(g, m), VectorConv.BLOCK));
    }

    /** Row stride of V and M: a row's last vector may spill up to LANES - 1 floats past the group. */
    private static int stride(Conv2d.Geometry g, int m) {
        return group(g, m) + LANES;
    }

    private static long scratchSize(Conv2d.Geometry g, int m, int rows, int kdim) {
        long p = points(m);
        return p * VectorConv.packedSize(rows, kdim, 1) + p * kdim * stride(g, m) + p * rows * stride(g, m)
                + 4L * planeSize(g, m) + (long) rowBuffers(m) * rowSize(g, m) + (m == 2 ? 0 : 36L * LANES + setSize(g));
    }

    // F(4x4, 3x3) with images in lanes (runSets), after tmp:
    //   xs    [4*th + 2][4*tw + 2][LANES]     one channel of LANES images, zero-bordered, image l in lane l
    //   ys    [4*th][4*tw][LANES] + slack     one output channel of LANES images, uncropped
    //   row   [4*tw + LANES]                  one image's output row, gathered from ys
    private static long setSize(Conv2d.Geometry g) {
        long th = tileRows(g, 4);
        long tw = tileCols(g, 4);
        return (4 * th + 2) * (4 * tw + 2) * LANES + ysSize(g) + 4 * tw + LANES;
    }

    /** Floats of ys: a gather of LANES columns from its last row's last vector may read LANES * LANES past it. */
    private static int ysSize(Conv2d.Geometry g) {
        return (16 * tileRows(g, 4) * tileCols(g, 4) + LANES) * LANES;
    }

    // Scratch layout of the weight gradient, outer = VectorConv.outerRows(Cout):
    //   v     [16][Cin][weightGroup + LANES]   V of x, as in the forward pass
    //   m     [16][Cout][weightGroup + LANES]  dM = A dy A^T of each tile
    //   du    [16][Cout - outer][Cin]          dU's rows from outer on, summed over the groups
    //   duT   [16][Cin][outer]                 dU's first outer rows, transposed (VectorConv.correlateOuter)
    //   mT    [weightGroup + LANES][outer]     one xi's dM of the first outer rows, transposed
    //   plane [4][planeSize], row [3][rowSize] as above (two rows of dy in the last two row buffers)
    private static long weightScratchSize(Conv2d.Geometry g) {
        long outer = VectorConv.outerRows(g.cout());
        return (long) XI * (g.cin() + g.cout()) * (weightGroup(g) + LANES) + (long) XI * (g.cout() - outer) * g.cin()
                + outer * ((long) XI * g.cin() + weightGroup(g) + LANES) + 4L * planeSize(g, 2) + 3L * rowSize(g, 2);
    }

    /**
     * Tiles per group of g's weight gradient: WEIGHT_GROUP, fewer when V and dM would pass WEIGHT_TILE_FLOATS or g
     * has fewer tiles (rounded up to whole vectors).
     */
    static int weightGroup(Conv2d.Geometry g) {
        long fit = WEIGHT_TILE_FLOATS / ((long) XI * (g.cin() + g.cout())) - LANES;
        int most = Math.min(WEIGHT_GROUP, VectorConv.roundUp(tiles(g, 2), LANES));
        return (int) Math.max(LANES, Math.min(most, fit / LANES * LANES));
    }

    /** Floats of scratch {@link #forward} (rows = Cout) and {@link #inputGradient} (rows = Cin) need. */
    static long convolutionScratchSize(Conv2d.Geometry g) {
        return convolutionScratchSize(g, Choice.tile(g));
    }

    /** {@link #convolutionScratchSize} with output tiles m x m. */
    static long convolutionScratchSize(Conv2d.Geometry g, int m) {
        return Math.max(scratchSize(g, m, g.cout(), g.cin()), scratchSize(g, m, g.cin(), g.cout()));
    }

    /** Floats of scratch {@link #forward}, {@link #inputGradient} and {@link #weightGradient} need. */
    static long scratchSize(Conv2d.Geometry g) {
        return Math.max(convolutionScratchSize(g), weightScratchSize(g));
    }

    /** {@link #scratchSize} with the forward pass and input gradient on output tiles m x m. */
    static long scratchSize(Conv2d.Geometry g, int m) {
        return Math.max(convolutionScratchSize(g, m), weightScratchSize(g));
    }

    /** y = conv(x, w) + b (b may be null); y is overwritten. Output tiles of {@link Choice#tile}. */
    static void forward(Conv2d.Geometry g, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y,
                        int yOff, float[] scratch) {
        forward(g, Choice.tile(g), x, xOff, w, wOff, b, bOff, y, yOff, scratch);
    }

    /** {@link #forward} on output tiles m x m: F(2x2, 3x3) or F(4x4, 3x3). */
    static void forward(Conv2d.Geometry g, int m, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
                        float[] y, int yOff, float[] scratch) {
        requireSupported(g, m);
        transformWeights(m, g.cout(), g.cin(), w, wOff, g.cin() * 9, 9, false, scratch, 0);
        run(g, m, g.cout(), g.cin(), x, xOff, b, bOff, y, yOff, false, scratch);
    }

    /** dx += conv(dy, w flipped and transposed): the input gradient. Output tiles of {@link Choice#tile}. */
    static void inputGradient(Conv2d.Geometry g, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff,
                              float[] scratch) {
        inputGradient(g, Choice.tile(g), dy, dyOff, w, wOff, dx, dxOff, scratch);
    }

    /** {@link #inputGradient} on tiles m x m of dx. */
    static void inputGradient(Conv2d.Geometry g, int m, float[] dy, int dyOff, float[] w, int wOff, float[] dx,
                              int dxOff, float[] scratch) {
        requireSupported(g, m);
        transformWeights(m, g.cin(), g.cout(), w, wOff, 9, g.cin() * 9, true, scratch, 0);
        run(g, m, g.cin(), g.cout(), dy, dyOff, null, 0, dx, dxOff, true, scratch);
    }

    /**
     * dw += the weight gradient: the forward pass's products run backwards. M[xi] = U[xi] V[xi] for every tile, so
     * dU[xi] = sum over tiles of dM[xi] V[xi]^T with dM = A dy A^T (dy of the tile's 2x2 outputs, zero where the
     * output is cropped), and dw[o, c] = G^T dU[.][o][c] G. The sum over tiles runs {@link #weightGroup} tiles at a
     * time ({@link VectorConv#correlate}: tiles in vector lanes, one reduction across lanes per group and channel
     * pair; at 1,024 tiles, summing the 16 running sums of a block into one vector first changed nothing measurable,
     * and a tree of shuffles in place of the reductions was three times slower on JDK 17).
     */
    static void weightGradient(Conv2d.Geometry g, float[] dy, int dyOff, float[] x, int xOff, float[] dw, int dwOff,
                               float[] scratch) {
        requireSupported(g, 2);
        int cin = g.cin();
        int cout = g.cout();
        int group = weightGroup(g);
        int stride = group + LANES;
        int vOff = 0;
        int mOff = vOff + XI * cin * stride;
        int duOff = mOff + XI * cout * stride;
        // The first outer output channels sum in vector lanes (VectorConv.correlateOuter): dM transposed, one xi
        // at a time, against V's rows as they lie; the rest by VectorConv.correlate.
        int outer = VectorConv.outerRows(cout);
        int rest = cout - outer;
        int duTOff = duOff + XI * rest * cin;
        int mTOff = duTOff + XI * cin * outer;
        int planeOff = mTOff + stride * outer;
        int rowOff = planeOff + 4 * planeSize(g, 2);
        int dyRows = rowOff + rowSize(g, 2);
        Arrays.fill(scratch, duOff, mTOff, 0f);
        int[] termAt = VectorConv.termOffsets(cin, 1, stride, NO_SHIFT);
        // Zero borders: fillPlanes's row keeps column -1 and those past w - 1 at zero, and so do the two dy rows.
        Arrays.fill(scratch, rowOff, rowOff + 3 * rowSize(g, 2), 0f);
        int tiles = tiles(g, 2);
        for (int t0 = 0; t0 < tiles; t0 += group) {
            int cols = Math.min(group, tiles - t0);
            int wide = VectorConv.roundUp(cols, LANES);
            for (int c = 0; c < cin; c++) {
                transformInput(g, cin, c, x, xOff, t0, cols, scratch, vOff + c * stride, cin * stride, planeOff,
                        rowOff);
            }
            for (int o = 0; o < cout; o++) {
                transformGradient(g, o, dy, dyOff, t0, cols, scratch, mOff + o * stride, cout * stride, dyRows);
            }
            // The correlation reads whole vectors: the columns past the group's last tile hold spilled stores.
            for (int r = 0; r < XI * (cin + cout); r++) {
                int at = vOff + r * stride;
                Arrays.fill(scratch, at + cols, at + wide, 0f);
            }
            for (int xi = 0; xi < XI; xi++) {
                int m = mOff + xi * cout * stride;
                int v = vOff + xi * cin * stride;
                if (outer > 0) {
                    VectorConv.transpose(scratch, m, stride, outer, wide, scratch, mTOff);
                    VectorConv.correlateOuter(outer, cin, scratch, mTOff, outer, scratch, v, termAt, scratch,
                            duTOff + xi * cin * outer, outer, wide);
                }
                if (rest > 0) {
                    VectorConv.correlate(rest, cin, 1, scratch, m + outer * stride, stride, scratch, v, stride,
                            NO_SHIFT, scratch, duOff + xi * rest * cin, wide);
                }
            }
        }
        int xiStride = rest * cin;
        double[] u = new double[XI];
        double[] t = new double[12];
        for (int o = 0; o < cout; o++) {
            for (int c = 0; c < cin; c++) {
                if (o < outer) {
                    int at = duTOff + c * outer + o;
                    for (int xi = 0; xi < XI; xi++) {
                        u[xi] = scratch[at + xi * cin * outer];
                    }
                } else {
                    int at = duOff + (o - outer) * cin + c;
                    for (int xi = 0; xi < XI; xi++) {
                        u[xi] = scratch[at + xi * xiStride];
                    }
                }
                // t = G^T dU (3x4), then dw = t G (3x3); G^T's rows are (1, 1/2, 1/2, 0), (0, 1/2, -1/2, 0),
                // (0, 1/2, 1/2, 1).
                for (int j = 0; j < 4; j++) {
                    double u0 = u[j];
                    double u1 = u[4 + j];
                    double u2 = u[8 + j];
                    double u3 = u[12 + j];
                    t[j] = u0 + 0.5 * (u1 + u2);
                    t[4 + j] = 0.5 * (u1 - u2);
                    t[8 + j] = 0.5 * (u1 + u2) + u3;
                }
                int dst = dwOff + (o * cin + c) * 9;
                for (int i = 0; i < 3; i++) {
                    double t0 = t[4 * i];
                    double t1 = t[4 * i + 1];
                    double t2 = t[4 * i + 2];
                    double t3 = t[4 * i + 3];
                    dw[dst + 3 * i] += (float) (t0 + 0.5 * (t1 + t2));
                    dw[dst + 3 * i + 1] += (float) (0.5 * (t1 - t2));
                    dw[dst + 3 * i + 2] += (float) (0.5 * (t1 + t2) + t3);
                }
            }
        }
    }

    /**
     * dM[xi][o][t - t0] = (A dy A^T)[xi] for tiles t0 .. t0+cols-1 of output channel o, at
     * {@code s[mAt + xi*xiStride + ...]}: per tile row, the two dy rows deinterleaved into even and odd columns so
     * that each of a tile's four outputs is one vector for LANES neighbouring tiles. The two row buffers at
     * {@code rowsAt} hold zeros past column w - 1 (a cropped output has no gradient); spills as in transformInput.
     */
    private static void transformGradient(Conv2d.Geometry g, int o, float[] dy, int dyOff, int t0, int cols,
                                          float[] s, int mAt, int xiStride, int rowsAt) {
        int th = tileRows(g, 2);
        int tw = tileCols(g, 2);
        int h = g.h();
        int w = g.w();
        int perImage = th * tw;
        int row0 = rowsAt;
        int row1 = rowsAt + rowSize(g, 2);
        int end = t0 + cols;
        for (int t = t0; t < end; ) {
            int n = t / perImage;
            int a = (t - n * perImage) / tw;
            int bLo = t - n * perImage - a * tw;
            int bHi = Math.min(tw, end - n * perImage - a * tw);
            int plane = dyOff + (n * g.cout() + o) * h * w;
            System.arraycopy(dy, plane + 2 * a * w, s, row0, w);
            if (2 * a + 1 < h) {
                System.arraycopy(dy, plane + (2 * a + 1) * w, s, row1, w);
            } else {
                Arrays.fill(s, row1, row1 + w, 0f);
            }
            for (int bb = bLo; bb < bHi; bb += LANES) {
                int j = 2 * bb;
                FloatVector v0 = FloatVector.fromArray(SPECIES, s, row0 + j);
                FloatVector v1 = FloatVector.fromArray(SPECIES, s, row0 + j + LANES);
                FloatVector g00 = v0.rearrange(EVEN).blend(v1.rearrange(EVEN), UPPER_HALF);
                FloatVector g01 = v0.rearrange(ODD).blend(v1.rearrange(ODD), UPPER_HALF);
                v0 = FloatVector.fromArray(SPECIES, s, row1 + j);
                v1 = FloatVector.fromArray(SPECIES, s, row1 + j + LANES);
                FloatVector g10 = v0.rearrange(EVEN).blend(v1.rearrange(EVEN), UPPER_HALF);
                FloatVector g11 = v0.rearrange(ODD).blend(v1.rearrange(ODD), UPPER_HALF);
                int dst = mAt + t - t0 + bb - bLo;
                // A dy: rows (dy0, dy0 + dy1, dy0 - dy1, -dy1), column pairs (p, q); then (A dy) A^T: a row
                // (p, q) becomes (p, p + q, p - q, -q). Written out: a vector passed to a helper that C2 does not
                // inline is boxed, and the helper's operations run the Vector API's allocating Java fallback
                // (seen in a JFR allocation profile: 120 to 250 MB of garbage per training step). -v is
                // v.mul(-1f), exact: JDK 17 does not compile FloatVector.neg() to a vector instruction here.
                FloatVector p = g00;
                FloatVector q = g01;
                p.intoArray(s, dst);
                p.add(q).intoArray(s, dst + xiStride);
                p.sub(q).intoArray(s, dst + 2 * xiStride);
                q.mul(-1f).intoArray(s, dst + 3 * xiStride);
                p = g00.add(g10);
                q = g01.add(g11);
                p.intoArray(s, dst + 4 * xiStride);
                p.add(q).intoArray(s, dst + 5 * xiStride);
                p.sub(q).intoArray(s, dst + 6 * xiStride);
                q.mul(-1f).intoArray(s, dst + 7 * xiStride);
                p = g00.sub(g10);
                q = g01.sub(g11);
                p.intoArray(s, dst + 8 * xiStride);
                p.add(q).intoArray(s, dst + 9 * xiStride);
                p.sub(q).intoArray(s, dst + 10 * xiStride);
                q.mul(-1f).intoArray(s, dst + 11 * xiStride);
                p = g10.mul(-1f);
                q = g11.mul(-1f);
                p.intoArray(s, dst + 12 * xiStride);
                p.add(q).intoArray(s, dst + 13 * xiStride);
                p.sub(q).intoArray(s, dst + 14 * xiStride);
                q.mul(-1f).intoArray(s, dst + 15 * xiStride);
            }
            t += bHi - bLo;
        }
    }

    /** ap[xi] = VectorConv.pack of U[xi], U = G g G^T: F(2x2, 3x3)'s when m = 2, F(4x4, 3x3)'s when m = 4. */
    private static void transformWeights(int m, int rows, int kdim, float[] w, int wOff, int rowStride, int kStride,
                                         boolean flip, float[] ap, int apOff) {
        if (m == 2) {
            transformWeights2(rows, kdim, w, wOff, rowStride, kStride, flip, ap, apOff);
        } else {
            transformWeights4(rows, kdim, w, wOff, rowStride, kStride, flip, ap, apOff);
        }
    }

    /**
     * ap[xi] = VectorConv.pack of U[xi] [rows][kdim], U = G g G^T with g[r, k] = the 3x3 kernel at
     * {@code w[wOff + r*rowStride + k*kStride]}, rotated by 180 degrees when {@code flip}.
     */
    private static void transformWeights2(int rows, int kdim, float[] w, int wOff, int rowStride, int kStride,
                                          boolean flip, float[] ap, int apOff) {
        int ps = VectorConv.packedSize(rows, kdim, 1);
        Arrays.fill(ap, apOff, apOff + XI * ps, 0f);
        double[] k3 = new double[9];
        double[] t = new double[12];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < kdim; k++) {
                int src = wOff + r * rowStride + k * kStride;
                for (int i = 0; i < 9; i++) {
                    k3[i] = w[src + (flip ? 8 - i : i)];
                }
                // t = G g (4x3), then U = t G^T (4x4)
                for (int v = 0; v < 3; v++) {
                    t[v] = k3[v];
                    t[3 + v] = 0.5 * (k3[v] + k3[3 + v] + k3[6 + v]);
                    t[6 + v] = 0.5 * (k3[v] - k3[3 + v] + k3[6 + v]);
                    t[9 + v] = k3[6 + v];
                }
                int at = apOff + ((r / VectorConv.ROWS) * kdim + k) * VectorConv.ROWS + r % VectorConv.ROWS;
                for (int i = 0; i < 4; i++) {
                    double t0 = t[3 * i];
                    double t1 = t[3 * i + 1];
                    double t2 = t[3 * i + 2];
                    ap[at + (4 * i) * ps] = (float) t0;
                    ap[at + (4 * i + 1) * ps] = (float) (0.5 * (t0 + t1 + t2));
                    ap[at + (4 * i + 2) * ps] = (float) (0.5 * (t0 - t1 + t2));
                    ap[at + (4 * i + 3) * ps] = (float) t2;
                }
            }
        }
    }

    /**
     * out = (or +=) the convolution of in [N, kdim, H, W] with the transformed weights in scratch, rows channels, on
     * output tiles m x m.
     */
    private static void run(Conv2d.Geometry g, int m, int rows, int kdim, float[] in, int inOff, float[] b, int bOff,
                            float[] out, int outOff, boolean accumulate, float[] scratch) {
        if (m == 4 && g.n() >= LANES) {
            int sets = g.n() / LANES;
            runSets(g, sets, rows, kdim, in, inOff, b, bOff, out, outOff, accumulate, scratch);
            int rest = g.n() - sets * LANES;
            if (rest > 0) {
                int done = sets * LANES;
                Conv2d.Geometry tail = new Conv2d.Geometry(rest, g.cin(), g.h(), g.w(), g.cout(), 3, 3, 1, 1);
                run(tail, m, rows, kdim, in, inOff + done * kdim * g.h() * g.w(), b, bOff, out,
                        outOff + done * rows * g.h() * g.w(), accumulate, scratch);
            }
            return;
        }
        int points = points(m);
        int ps = VectorConv.packedSize(rows, kdim, 1);
        int group = group(g, m);
        int stride = stride(g, m);
        int vOff = points * ps;
        int mOff = vOff + points * kdim * stride;
        int planeOff = mOff + points * rows * stride;
        int rowOff = planeOff + 4 * planeSize(g, m);
        int rowSize = rowSize(g, m);
        int tmpOff = rowOff + rowBuffers(m) * rowSize;
        // The input row buffer's zero border: column -1 and everything past column w - 1 stay zero through the call.
        Arrays.fill(scratch, rowOff, rowOff + rowSize, 0f);
        int tiles = tiles(g, m);
        int[] termAt = VectorConv.termOffsets(kdim, 1, stride, NO_SHIFT);
        for (int t0 = 0; t0 < tiles; t0 += group) {
            int cols = Math.min(group, tiles - t0);
            for (int c = 0; c < kdim; c++) {
                if (m == 2) {
                    transformInput(g, kdim, c, in, inOff, t0, cols, scratch, vOff + c * stride, kdim * stride,
                            planeOff, rowOff);
                } else {
                    transformInput4(g, kdim, c, in, inOff, t0, cols, scratch, vOff + c * stride, kdim * stride,
                            planeOff, rowOff, tmpOff);
                }
            }
            for (int xi = 0; xi < points; xi++) {
                VectorConv.product(rows, kdim, scratch, xi * ps, scratch, vOff + xi * kdim * stride, termAt,
                        scratch, mOff + xi * rows * stride, stride, cols, false);
            }
            for (int o = 0; o < rows; o++) {
                float bias = b == null ? 0f : b[bOff + o];
                if (m == 2) {
                    transformOutput(g, rows, o, scratch, mOff + o * stride, rows * stride, t0, cols, bias, out,
                            outOff, accumulate, rowOff + rowSize);
                } else {
                    transformOutput4(g, rows, o, scratch, mOff + o * stride, rows * stride, t0, cols, bias, out,
                            outOff, accumulate, rowOff + 2 * rowSize, tmpOff);
                }
            }
        }
    }

    /**
     * V[xi][c][t - t0] for tiles t0 .. t0+cols-1 of channel c of x [N, kdim, H, W], at
     * {@code scratch[vAt + xi*xiStride + ...]}.
     * One image at a time: its parity planes, then one vector of tiles of a tile row at a time. Each vector store
     * may spill up to LANES - 1 columns past the tile row; the next row's stores overwrite them, and past the last
     * row they land in the stride's slack.
     */
    private static void transformInput(Conv2d.Geometry g, int kdim, int c, float[] x, int xOff, int t0, int cols,
                                       float[] s, int vAt, int xiStride, int planeOff, int rowOff) {
        int th = tileRows(g, 2);
        int tw = tileCols(g, 2);
        int perImage = th * tw;
        int pw = planeWidth(g, 2);
        int psz = planeSize(g, 2);
        int p00 = planeOff;
        int p01 = p00 + psz;
        int p10 = p01 + psz;
        int p11 = p10 + psz;
        int end = t0 + cols;
        for (int t = t0; t < end; ) {
            int n = t / perImage;
            int first = t - n * perImage;
            int last = Math.min(end - n * perImage, perImage);
            int a0 = first / tw;
            int a1 = (last - 1) / tw;
            fillPlanes(g, x, xOff + (n * kdim + c) * g.h() * g.w(), a0, a1 + 1, s, planeOff, psz, rowOff);
            for (int a = a0; a <= a1; a++) {
                int bLo = a == a0 ? first - a * tw : 0;
                int bHi = a == a1 ? last - a * tw : tw;
                for (int bb = bLo; bb < bHi; bb += LANES) {
                    int k = (a - a0) * pw + bb;
                    int dst = vAt + n * perImage + a * tw + bb - t0;
                    FloatVector d00 = FloatVector.fromArray(SPECIES, s, p00 + k);
                    FloatVector d01 = FloatVector.fromArray(SPECIES, s, p01 + k);
                    FloatVector d02 = FloatVector.fromArray(SPECIES, s, p00 + k + 1);
                    FloatVector d03 = FloatVector.fromArray(SPECIES, s, p01 + k + 1);
                    FloatVector d10 = FloatVector.fromArray(SPECIES, s, p10 + k);
                    FloatVector d11 = FloatVector.fromArray(SPECIES, s, p11 + k);
                    FloatVector d12 = FloatVector.fromArray(SPECIES, s, p10 + k + 1);
                    FloatVector d13 = FloatVector.fromArray(SPECIES, s, p11 + k + 1);
                    FloatVector d20 = FloatVector.fromArray(SPECIES, s, p00 + k + pw);
                    FloatVector d21 = FloatVector.fromArray(SPECIES, s, p01 + k + pw);
                    FloatVector d22 = FloatVector.fromArray(SPECIES, s, p00 + k + pw + 1);
                    FloatVector d23 = FloatVector.fromArray(SPECIES, s, p01 + k + pw + 1);
                    FloatVector d30 = FloatVector.fromArray(SPECIES, s, p10 + k + pw);
                    FloatVector d31 = FloatVector.fromArray(SPECIES, s, p11 + k + pw);
                    FloatVector d32 = FloatVector.fromArray(SPECIES, s, p10 + k + pw + 1);
                    FloatVector d33 = FloatVector.fromArray(SPECIES, s, p11 + k + pw + 1);
                    // B^T d: rows
                    FloatVector e00 = d00.sub(d20);
                    FloatVector e01 = d01.sub(d21);
                    FloatVector e02 = d02.sub(d22);
                    FloatVector e03 = d03.sub(d23);
                    FloatVector e10 = d10.add(d20);
                    FloatVector e11 = d11.add(d21);
                    FloatVector e12 = d12.add(d22);
                    FloatVector e13 = d13.add(d23);
                    FloatVector e20 = d20.sub(d10);
                    FloatVector e21 = d21.sub(d11);
                    FloatVector e22 = d22.sub(d12);
                    FloatVector e23 = d23.sub(d13);
                    FloatVector e30 = d10.sub(d30);
                    FloatVector e31 = d11.sub(d31);
                    FloatVector e32 = d12.sub(d32);
                    FloatVector e33 = d13.sub(d33);
                    // (B^T d) B: columns
                    e00.sub(e02).intoArray(s, dst);
                    e01.add(e02).intoArray(s, dst + xiStride);
                    e02.sub(e01).intoArray(s, dst + 2 * xiStride);
                    e01.sub(e03).intoArray(s, dst + 3 * xiStride);
                    e10.sub(e12).intoArray(s, dst + 4 * xiStride);
                    e11.add(e12).intoArray(s, dst + 5 * xiStride);
                    e12.sub(e11).intoArray(s, dst + 6 * xiStride);
                    e11.sub(e13).intoArray(s, dst + 7 * xiStride);
                    e20.sub(e22).intoArray(s, dst + 8 * xiStride);
                    e21.add(e22).intoArray(s, dst + 9 * xiStride);
                    e22.sub(e21).intoArray(s, dst + 10 * xiStride);
                    e21.sub(e23).intoArray(s, dst + 11 * xiStride);
                    e30.sub(e32).intoArray(s, dst + 12 * xiStride);
                    e31.add(e32).intoArray(s, dst + 13 * xiStride);
                    e32.sub(e31).intoArray(s, dst + 14 * xiStride);
                    e31.sub(e33).intoArray(s, dst + 15 * xiStride);
                }
            }
            t = n * perImage + last;
        }
    }

    /**
     * The parity planes of tile rows a0 .. a1 (inclusive) of one channel plane x [H, W]:
     * {@code P_pq[(a - a0)*pw + b] = x[2a+p-1, 2b+q-1]}, zero outside the image, for a0 &lt;= a &lt;= a1 and
     * 0 &lt;= b &lt;= tw: the patch element d[r][s] of tile (a, b) is then P_{r%2, s%2} at (a + r/2, b + s/2), so one
     * vector load gives it for LANES neighbouring tiles.
     */
    private static void fillPlanes(Conv2d.Geometry g, float[] x, int plane, int a0, int a1, float[] s, int planeOff,
                                   int psz, int rowOff) {
        int h = g.h();
        int w = g.w();
        int pw = planeWidth(g, 2);
        for (int p = 0; p < 2; p++) {
            for (int a = a0; a <= a1; a++) {
                int i = 2 * a + p - 1;
                int row0 = planeOff + 2 * p * psz + (a - a0) * pw;
                int row1 = row0 + psz;
                if (i < 0 || i >= h) {
                    Arrays.fill(s, row0, row0 + pw, 0f);
                    Arrays.fill(s, row1, row1 + pw, 0f);
                    continue;
                }
                // Deinterleave the zero-bordered row: q = 0 gets columns 2b - 1, q = 1 columns 2b.
                System.arraycopy(x, plane + i * w, s, rowOff + 1, w);
                for (int b = 0; b < pw; b += LANES) {
                    FloatVector v0 = FloatVector.fromArray(SPECIES, s, rowOff + 2 * b);
                    FloatVector v1 = FloatVector.fromArray(SPECIES, s, rowOff + 2 * b + LANES);
                    v0.rearrange(EVEN).blend(v1.rearrange(EVEN), UPPER_HALF).intoArray(s, row0 + b);
                    v0.rearrange(ODD).blend(v1.rearrange(ODD), UPPER_HALF).intoArray(s, row1 + b);
                }
            }
        }
    }

    /**
     * Output channel o of tiles t0 .. t0+cols-1: y (or dx when accumulating) from M[xi][o][t - t0] at
     * {@code s[mAt + xi*xiStride + t - t0]}, plus bias; one tile row of one image at a time, LANES tiles per
     * step, their 2x2 outputs interleaved into two rows of y.
     */
    private static void transformOutput(Conv2d.Geometry g, int rows, int o, float[] s, int mAt, int xiStride,
                                        int t0, int cols, float bias, float[] y, int yOff, boolean accumulate,
                                        int rowOff) {
        int th = tileRows(g, 2);
        int tw = tileCols(g, 2);
        int h = g.h();
        int w = g.w();
        int perImage = th * tw;
        int end = t0 + cols;
        FloatVector bv = FloatVector.broadcast(SPECIES, bias);
        int second = rowOff + rowSize(g, 2);
        for (int t = t0; t < end; ) {
            int n = t / perImage;
            int a = (t - n * perImage) / tw;
            int bLo = t - n * perImage - a * tw;
            int bHi = Math.min(tw, end - n * perImage - a * tw);
            int rowAt = yOff + (n * rows + o) * h * w + 2 * a * w;
            int limit = Math.min(2 * bHi, w);
            for (int bb = bLo; bb < bHi; bb += LANES) {
                int m = mAt + t - t0 + bb - bLo;
                FloatVector m00 = FloatVector.fromArray(SPECIES, s, m);
                FloatVector m01 = FloatVector.fromArray(SPECIES, s, m + xiStride);
                FloatVector m02 = FloatVector.fromArray(SPECIES, s, m + 2 * xiStride);
                FloatVector m03 = FloatVector.fromArray(SPECIES, s, m + 3 * xiStride);
                FloatVector m10 = FloatVector.fromArray(SPECIES, s, m + 4 * xiStride);
                FloatVector m11 = FloatVector.fromArray(SPECIES, s, m + 5 * xiStride);
                FloatVector m12 = FloatVector.fromArray(SPECIES, s, m + 6 * xiStride);
                FloatVector m13 = FloatVector.fromArray(SPECIES, s, m + 7 * xiStride);
                FloatVector m20 = FloatVector.fromArray(SPECIES, s, m + 8 * xiStride);
                FloatVector m21 = FloatVector.fromArray(SPECIES, s, m + 9 * xiStride);
                FloatVector m22 = FloatVector.fromArray(SPECIES, s, m + 10 * xiStride);
                FloatVector m23 = FloatVector.fromArray(SPECIES, s, m + 11 * xiStride);
                FloatVector m30 = FloatVector.fromArray(SPECIES, s, m + 12 * xiStride);
                FloatVector m31 = FloatVector.fromArray(SPECIES, s, m + 13 * xiStride);
                FloatVector m32 = FloatVector.fromArray(SPECIES, s, m + 14 * xiStride);
                FloatVector m33 = FloatVector.fromArray(SPECIES, s, m + 15 * xiStride);
                // A^T m: rows
                FloatVector r00 = m00.add(m10).add(m20);
                FloatVector r01 = m01.add(m11).add(m21);
                FloatVector r02 = m02.add(m12).add(m22);
                FloatVector r03 = m03.add(m13).add(m23);
                FloatVector r10 = m10.sub(m20).sub(m30);
                FloatVector r11 = m11.sub(m21).sub(m31);
                FloatVector r12 = m12.sub(m22).sub(m32);
                FloatVector r13 = m13.sub(m23).sub(m33);
                // (A^T m) A: columns
                FloatVector y00 = r00.add(r01).add(r02);
                FloatVector y01 = r01.sub(r02).sub(r03);
                FloatVector y10 = r10.add(r11).add(r12);
                FloatVector y11 = r11.sub(r12).sub(r13);
                if (!accumulate) {
                    y00 = y00.add(bv);
                    y01 = y01.add(bv);
                    y10 = y10.add(bv);
                    y11 = y11.add(bv);
                }
                // Interleaved into two rows of the buffer, at columns 2*bb.., then cropped into y below.
                int j = 2 * bb;
                y00.rearrange(HALF_LO).blend(y01.rearrange(HALF_LO), ODD_LANES).intoArray(s, rowOff + j);
                y00.rearrange(HALF_HI).blend(y01.rearrange(HALF_HI), ODD_LANES).intoArray(s, rowOff + j + LANES);
                y10.rearrange(HALF_LO).blend(y11.rearrange(HALF_LO), ODD_LANES).intoArray(s, second + j);
                y10.rearrange(HALF_HI).blend(y11.rearrange(HALF_HI), ODD_LANES).intoArray(s, second + j + LANES);
            }
            int from = 2 * bLo;
            int to = Math.min(2 * bHi, w);
            int rowsHere = 2 * a + 1 < h ? 2 : 1;
            for (int r = 0; r < rowsHere; r++) {
                int dst = rowAt + r * w;
                int src = (r == 0 ? rowOff : second);
                if (accumulate) {
                    Add.accumulate(s, src + from, y, dst + from, to - from);
                } else {
                    System.arraycopy(s, src + from, y, dst + from, to - from);
                }
            }
            t += bHi - bLo;
        }
    }

    // F(4x4, 3x3) (Lavin and Gray 2016, interpolation points 0, 1, -1, 2, -2): a 6x6 patch d gives a 4x4 output
    // tile as A^T ((G g G^T) * (B^T d B)) A, 36 products per tile and channel pair for 16 outputs (2.25 per output
    // against F(2x2, 3x3)'s 4).
    //   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
    //   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
    //   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
    // Tile t = (n, a, b) covers output rows 4a .. 4a+3 and columns 4b .. 4b+3 and reads rows 4a-1 .. 4a+4 and
    // columns 4b-1 .. 4b+4 of the input. The transforms run in two passes of six vectors each (columns, then rows,
    // through tmp in scratch): 36 vectors do not fit in sixteen registers.
    private static final double[][] G4 = {
            {1.0 / 4, 0, 0},
            {-1.0 / 6, -1.0 / 6, -1.0 / 6},
            {-1.0 / 6, 1.0 / 6, -1.0 / 6},
            {1.0 / 24, 1.0 / 12, 1.0 / 6},
            {1.0 / 24, -1.0 / 12, 1.0 / 6},
            {0, 0, 1}};

    /** F(4x4, 3x3)'s transformWeights2: U = G g G^T (6x6), summed in double and rounded once. */
    private static void transformWeights4(int rows, int kdim, float[] w, int wOff, int rowStride, int kStride,
                                          boolean flip, float[] ap, int apOff) {
        int ps = VectorConv.packedSize(rows, kdim, 1);
        Arrays.fill(ap, apOff, apOff + 36 * ps, 0f);
        double[] k3 = new double[9];
        double[] t = new double[18];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < kdim; k++) {
                int src = wOff + r * rowStride + k * kStride;
                for (int i = 0; i < 9; i++) {
                    k3[i] = w[src + (flip ? 8 - i : i)];
                }
                // t = G g (6x3), then U = t G^T (6x6)
                for (int i = 0; i < 6; i++) {
                    for (int v = 0; v < 3; v++) {
                        t[3 * i + v] = G4[i][0] * k3[v] + G4[i][1] * k3[3 + v] + G4[i][2] * k3[6 + v];
                    }
                }
                int at = apOff + ((r / VectorConv.ROWS) * kdim + k) * VectorConv.ROWS + r % VectorConv.ROWS;
                for (int i = 0; i < 6; i++) {
                    for (int j = 0; j < 6; j++) {
                        double u = t[3 * i] * G4[j][0] + t[3 * i + 1] * G4[j][1] + t[3 * i + 2] * G4[j][2];
                        ap[at + (6 * i + j) * ps] = (float) u;
                    }
                }
            }
        }
    }

    /**
     * V[xi][c][t - t0] of F(4x4, 3x3) for tiles t0 .. t0+cols-1 of channel c of x [N, kdim, H, W], at
     * {@code s[vAt + xi*xiStride + ...]}: as {@link #transformInput}, from the column phases of {@link #fillPhases},
     * one vector of neighbouring tiles of a tile row at a time.
     */
    private static void transformInput4(Conv2d.Geometry g, int kdim, int c, float[] x, int xOff, int t0, int cols,
                                        float[] s, int vAt, int xiStride, int planeOff, int rowOff, int tmpOff) {
        int th = tileRows(g, 4);
        int tw = tileCols(g, 4);
        int perImage = th * tw;
        int pw = planeWidth(g, 4);
        int psz = planeSize(g, 4);
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
        int pw = planeWidth(g, 4);
        int even = rowOff + rowSize(g, 4);
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
     * Output channel o of F(4x4, 3x3)'s tiles t0 .. t0+cols-1, as {@link #transformOutput}: A^T M A for LANES tiles
     * at once, its four rows interleaved into the four row buffers from {@code rowOff}, then cropped into y.
     */
    private static void transformOutput4(Conv2d.Geometry g, int rows, int o, float[] s, int mAt, int xiStride,
                                         int t0, int cols, float bias, float[] y, int yOff, boolean accumulate,
                                         int rowOff, int tmpOff) {
        int th = tileRows(g, 4);
        int tw = tileCols(g, 4);
        int h = g.h();
        int w = g.w();
        int perImage = th * tw;
        int rowSize = rowSize(g, 4);
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
     * F(4x4, 3x3) over the first {@code sets * LANES} images with images in vector lanes: tile slot (set, a, b) holds
     * tile (a, b) of images set*LANES .. set*LANES + LANES - 1 in its LANES columns, so every transform vector is
     * full whatever the image size (a 7x7 image has four tiles, a tile row of 14x14 four). The transforms are the
     * tile-row path's own ({@link #inputTransform6}, {@link #outputColumn6}, {@link #outputRow6}), so a tile gets
     * the same bits on either path.
     */
    private static void runSets(Conv2d.Geometry g, int sets, int rows, int kdim, float[] in, int inOff, float[] b,
                                int bOff, float[] out, int outOff, boolean accumulate, float[] scratch) {
        int ps = VectorConv.packedSize(rows, kdim, 1);
        int group = group(g, 4);
        int stride = stride(g, 4);
        int vOff = 36 * ps;
        int mOff = vOff + 36 * kdim * stride;
        int tmpOff = mOff + 36 * rows * stride + 4 * planeSize(g, 4) + rowBuffers(4) * rowSize(g, 4);
        int th = tileRows(g, 4);
        int tw = tileCols(g, 4);
        int xsOff = tmpOff + 36 * LANES;
        int ysOff = xsOff + (4 * th + 2) * (4 * tw + 2) * LANES;
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
                VectorConv.product(rows, kdim, scratch, xi * ps, scratch, vOff + xi * kdim * stride, termAt,
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
        int th = tileRows(g, 4);
        int tw = tileCols(g, 4);
        int h = g.h();
        int w = g.w();
        int perSet = th * tw;
        int xw = (4 * tw + 2) * LANES;
        int end = s0 + count;
        for (int t = s0; t < end; ) {
            int set = t / perSet;
            int first = t - set * perSet;
            int last = Math.min(end - set * perSet, perSet);
            // Rows 4*a0 .. 4*a1 + 5 of xs (xs row p is image row p - 1) hold what these slots read.
            int p0 = Math.max(1, 4 * (first / tw));
            int p1 = Math.min(h, 4 * ((last - 1) / tw) + 5);
            // One gather per input element: image l's value in lane l.
            int plane = xOff + (set * LANES * kdim + c) * h * w;
            for (int p = p0; p <= p1; p++) {
                int src = plane + (p - 1) * w;
                int dst = xsOff + p * xw + LANES;
                for (int j = 0; j < w; j++) {
                    FloatVector.fromArray(SPECIES, x, src + j, lanesAt, 0).intoArray(s, dst + j * LANES);
                }
            }
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
        int th = tileRows(g, 4);
        int tw = tileCols(g, 4);
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
}
