package io.sparkdiffusion.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two products of a stride-1 convolution over shifted rows, written on the Vector API (FloatVector at the
 * machine's preferred width: 16 lanes with AVX-512, 8 with AVX2) instead of one BLAS call per kernel tap.
 *
 * <pre>
 * product    out[r, p] (+)= sum_{k &lt; kdim} sum_{t &lt; taps} a[r, k, t] * in[k, p + off[t]]      r &lt; rows, p &lt; cols
 * correlate  d[r, k, t] += sum_{p &lt; cols} e[r, p] * in[k, p + off[t]]                     r &lt; rows, k &lt; kdim
 * correlateOuter: the same sums with r in vector lanes, from e transposed into d transposed
 * a [rows, kdim, taps] packed by pack() into ap [ceil(rows/ROWS), kdim, taps, ROWS], zero rows at the end
 * rows of in, out and e lie inStride, outStride and eStride floats apart from their offsets
 * </pre>
 *
 * <p>{@link ShiftedConv} lays a convolution out so that its forward, input gradient and weight gradient are
 * these two products (see there). A product block keeps ROWS x VECS accumulators in vector registers while
 * it runs over all kdim*taps terms, so each output element is summed in one fixed order, term by term, in its
 * own lane: the result for a column does not depend on the other columns or on how many images share the call.
 *
 * <p>Bounds: product computes whole blocks of {@link #BLOCK} columns (cols rounded up) and correlate whole
 * vectors of {@link #LANES} (cols rounded up); the caller's buffers hold those extra columns, zero where they
 * enter a sum. Java's array bounds checks still guard every access.
 *
 * <p>These are the inner kernels, so they stay on arrays and offsets: their callers' entry points
 * ({@link ShiftedConv}, {@link Conv2d}) take the {@code Tensor} views and check them.
 */
final class VectorConv {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int LANES = SPECIES.length();
    /**
     * True when the product runs {@link #productBlockWide}: 8 rows by 3 vectors, 24 accumulators, for machines
     * with 32 vector registers (AVX-512: 16 lanes); otherwise {@link #productBlock}, 6 rows by 2 vectors (12
     * accumulators, two loads and a broadcast: 15 of AVX2's 16 registers). The wide block loads 11 vectors per 24
     * multiply-adds where 4 x 4 loaded 8 per 16. Measured on AVX-512 (AMD EPYC, Zen 5, JDK 17, 2026-12-02),
     * products of 32 to 64 rows, 32 to 1,152 terms and 192 columns in one JVM: 4 x 4 ran 156 to 194 GFLOP/s, the
     * wide block 171 to 211; the convolutions' backward passes at batch 64 ({@code ./probe.sh kernels}, old and new
     * build alternating) 7 to 15 % faster, their forward passes 0 to 5 %. On AVX2 (AMD EPYC, Zen 3, 2026-12-07),
     * the 4 x 4 block AVX2 machines ran before needs 21 registers and spilled: a standalone harness, one JVM, 32
     * to 64 rows, 288 to 1,152 terms, 576 to 2,048 columns, gave 37 to 47 GFLOP/s for 4 x 4, 38 to 40 for 4 x 3, 42
     * to 51 for 8 x 2 and 52 to 71 for 6 x 2 (docs/engine.md). Each output element sums its terms in the same order
     * in every block, so the results are bit for bit those of 4 x 4.
     */
    static final boolean WIDE = LANES >= 16;
    /** Output rows per product block; also the packing unit of a. */
    static final int ROWS = WIDE ? 8 : 6;
    /** Vectors of columns per product block: ROWS * VECS accumulators stay in registers. */
    static final int VECS = WIDE ? 3 : 2;
    /** Columns per product block. */
    static final int BLOCK = VECS * LANES;
    /** Terms (k, t) per correlate block. */
    private static final int TERMS = 4;
    /** Rows of e per correlate block. */
    private static final int CORRELATE_ROWS = 4;

    /** True on machines whose vectors hold 16 floats, where {@link #productChannels} runs (32 vector registers). */
    static final boolean CHANNEL_LANES = LANES == 16;
    /** Output rows (channels) per {@link #productChannels} block: 4 vectors. */
    static final int CHANNEL_ROWS = 4 * LANES;
    /** Columns (pixels) per {@link #productChannels} block. */
    static final int CHANNEL_COLUMNS = 7;

    private VectorConv() {
    }

    /** Floats pack() writes for a [rows, kdim, taps] operand. */
    static int packedSize(int rows, int kdim, int taps) {
        return ceilDiv(rows, ROWS) * ROWS * kdim * taps;
    }

    /**
     * ap[((rb*kdim + k)*taps + t)*ROWS + i] = a[rb*ROWS + i, k, t], zero for rows past the end; a[r, k, t] is read
     * at {@code a[aOff + r*rowStride + k*kStride + t*tStride]}, so any layout of a (a weight tensor or its
     * transpose) packs without a copy first.
     */
    static void pack(int rows, int kdim, int taps, float[] a, int aOff, int rowStride, int kStride, int tStride,
                     float[] ap, int apOff) {
        int blocks = ceilDiv(rows, ROWS);
        int dst = apOff;
        for (int rb = 0; rb < blocks; rb++) {
            for (int k = 0; k < kdim; k++) {
                for (int t = 0; t < taps; t++) {
                    for (int i = 0; i < ROWS; i++, dst++) {
                        int r = rb * ROWS + i;
                        ap[dst] = r < rows ? a[aOff + r * rowStride + k * kStride + t * tStride] : 0f;
                    }
                }
            }
        }
    }

    /**
     * Where each term {@code j = (k, t)} of a product or correlation starts in its input, relative to the input's
     * offset: {@code (j / taps) * inStride + off[j % taps]}. One flat loop over the terms keeps the accumulators in
     * registers (C2 boxes vectors carried through nested loops); a caller that runs many chunks of one shape
     * computes this once.
     */
    static int[] termOffsets(int kdim, int taps, int inStride, int[] off) {
        int[] termAt = new int[kdim * taps];
        for (int j = 0; j < termAt.length; j++) {
            termAt[j] = (j / taps) * inStride + off[j % taps];
        }
        return termAt;
    }

    /**
     * out = the product of the class javadoc, or out += it when {@code accumulate}, over cols rounded up to
     * {@link #BLOCK}, with {@code terms = kdim * taps} and term j of a row block starting at
     * {@code in[inOff + termAt[j] + column]} ({@link #termOffsets}; for taps = 1 and no shift,
     * {@code termAt[k] = k * inStride}), so a caller that runs many products of one shape computes termAt once.
     */
    static void product(int rows, int terms, float[] ap, int apOff, float[] in, int inOff, int[] termAt,
                        float[] out, int outOff, int outStride, int cols, boolean accumulate) {
        int blocks = ceilDiv(rows, ROWS);
        int inStride = evenStride(termAt, terms);
        int[] uneven = inStride < 0 ? termAt : null;
        // Column blocks outside, row blocks inside: the in-columns a block reads (kdim rows, BLOCK plus the
        // largest shift wide) stay in L1 while every row block uses them; the packed a streams in order.
        for (int p = 0; p < cols; p += BLOCK) {
            for (int rb = 0; rb < blocks; rb++) {
                int live = Math.min(ROWS, rows - rb * ROWS);
                if (WIDE) {
                    productBlockWide(live, terms, ap, apOff + rb * terms * ROWS, in, inOff + p, termAt,
                            out, outOff + rb * ROWS * outStride + p, outStride, accumulate);
                } else {
                    productBlock(live, terms, ap, apOff + rb * terms * ROWS, in, inOff + p, uneven, inStride,
                            out, outOff + rb * ROWS * outStride + p, outStride, accumulate);
                }
            }
        }
    }

    /**
     * ac[acOff + (k*taps + t)*rows + r] = a[r, k, t], read at {@code a[aOff + r*rowStride + k*kStride + t*tStride]}
     * as {@link #pack} reads it: a product's left operand with its rows contiguous per term, for
     * {@link #productChannels}.
     */
    static void packChannels(int rows, int kdim, int taps, float[] a, int aOff, int rowStride, int kStride,
                             int tStride, float[] ac, int acOff) {
        for (int k = 0; k < kdim; k++) {
            for (int t = 0; t < taps; t++) {
                int dst = acOff + (k * taps + t) * rows;
                int src = aOff + k * kStride + t * tStride;
                for (int r = 0; r < rows; r++) {
                    ac[dst + r] = a[src + r * rowStride];
                }
            }
        }
    }

    /**
     * One block of {@link #product} with the rows in vector lanes: for the {@link #CHANNEL_ROWS} rows from r0 and
     * the {@link #CHANNEL_COLUMNS} columns from p0,
     * {@code tile[tileOff + (p - p0)*CHANNEL_ROWS + (r - r0)] = sum_j a[r, j] * in[inBase + termAt[j] + p]}, where
     * ac holds a packed by {@link #packChannels} with {@code rows} rows, {@code ai} is the index in ac of row r0 of
     * term 0 (the pack's offset plus r0) and inBase points at column p0. Each
     * element sums the same terms in the same order as {@link #product} (a fused multiply-add per term from zero),
     * so the two give the same bits. A block keeps 7 columns by 4 vectors of rows in registers and, per term,
     * loads 4 vectors of a and broadcasts 7 inputs, where {@link #product}'s block loads 3 vectors of columns and
     * broadcasts 8 values of a: it computes only the columns it is given, so a caller can skip the padding
     * columns of a shared-padding layout that {@link #product}'s whole blocks of {@link #BLOCK} columns compute.
     */
    static void productChannels(int terms, float[] ac, int ai, int rows, float[] in, int inBase, int[] termAt,
                                float[] tile, int tileOff) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c02 = c00;
        FloatVector c03 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c12 = c00;
        FloatVector c13 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c22 = c00;
        FloatVector c23 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c32 = c00;
        FloatVector c33 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c42 = c00;
        FloatVector c43 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        FloatVector c52 = c00;
        FloatVector c53 = c00;
        FloatVector c60 = c00;
        FloatVector c61 = c00;
        FloatVector c62 = c00;
        FloatVector c63 = c00;
        for (int j = 0; j < terms; j++, ai += rows) {
            int q = inBase + termAt[j];
            FloatVector a0 = FloatVector.fromArray(SPECIES, ac, ai);
            FloatVector a1 = FloatVector.fromArray(SPECIES, ac, ai + LANES);
            FloatVector a2 = FloatVector.fromArray(SPECIES, ac, ai + 2 * LANES);
            FloatVector a3 = FloatVector.fromArray(SPECIES, ac, ai + 3 * LANES);
            FloatVector b = FloatVector.broadcast(SPECIES, in[q]);
            c00 = b.fma(a0, c00);
            c01 = b.fma(a1, c01);
            c02 = b.fma(a2, c02);
            c03 = b.fma(a3, c03);
            b = FloatVector.broadcast(SPECIES, in[q + 1]);
            c10 = b.fma(a0, c10);
            c11 = b.fma(a1, c11);
            c12 = b.fma(a2, c12);
            c13 = b.fma(a3, c13);
            b = FloatVector.broadcast(SPECIES, in[q + 2]);
            c20 = b.fma(a0, c20);
            c21 = b.fma(a1, c21);
            c22 = b.fma(a2, c22);
            c23 = b.fma(a3, c23);
            b = FloatVector.broadcast(SPECIES, in[q + 3]);
            c30 = b.fma(a0, c30);
            c31 = b.fma(a1, c31);
            c32 = b.fma(a2, c32);
            c33 = b.fma(a3, c33);
            b = FloatVector.broadcast(SPECIES, in[q + 4]);
            c40 = b.fma(a0, c40);
            c41 = b.fma(a1, c41);
            c42 = b.fma(a2, c42);
            c43 = b.fma(a3, c43);
            b = FloatVector.broadcast(SPECIES, in[q + 5]);
            c50 = b.fma(a0, c50);
            c51 = b.fma(a1, c51);
            c52 = b.fma(a2, c52);
            c53 = b.fma(a3, c53);
            b = FloatVector.broadcast(SPECIES, in[q + 6]);
            c60 = b.fma(a0, c60);
            c61 = b.fma(a1, c61);
            c62 = b.fma(a2, c62);
            c63 = b.fma(a3, c63);
        }
        // Written out rather than through a helper: a vector passed to a call that is not inlined gets boxed.
        c00.intoArray(tile, tileOff);
        c01.intoArray(tile, tileOff + 1 * LANES);
        c02.intoArray(tile, tileOff + 2 * LANES);
        c03.intoArray(tile, tileOff + 3 * LANES);
        c10.intoArray(tile, tileOff + 4 * LANES);
        c11.intoArray(tile, tileOff + 5 * LANES);
        c12.intoArray(tile, tileOff + 6 * LANES);
        c13.intoArray(tile, tileOff + 7 * LANES);
        c20.intoArray(tile, tileOff + 8 * LANES);
        c21.intoArray(tile, tileOff + 9 * LANES);
        c22.intoArray(tile, tileOff + 10 * LANES);
        c23.intoArray(tile, tileOff + 11 * LANES);
        c30.intoArray(tile, tileOff + 12 * LANES);
        c31.intoArray(tile, tileOff + 13 * LANES);
        c32.intoArray(tile, tileOff + 14 * LANES);
        c33.intoArray(tile, tileOff + 15 * LANES);
        c40.intoArray(tile, tileOff + 16 * LANES);
        c41.intoArray(tile, tileOff + 17 * LANES);
        c42.intoArray(tile, tileOff + 18 * LANES);
        c43.intoArray(tile, tileOff + 19 * LANES);
        c50.intoArray(tile, tileOff + 20 * LANES);
        c51.intoArray(tile, tileOff + 21 * LANES);
        c52.intoArray(tile, tileOff + 22 * LANES);
        c53.intoArray(tile, tileOff + 23 * LANES);
        c60.intoArray(tile, tileOff + 24 * LANES);
        c61.intoArray(tile, tileOff + 25 * LANES);
        c62.intoArray(tile, tileOff + 26 * LANES);
        c63.intoArray(tile, tileOff + 27 * LANES);
    }

    /** s when termAt[j] = j*s for every j &lt; terms (no shifts), else -1. */
    private static int evenStride(int[] termAt, int terms) {
        int s = terms > 1 ? termAt[1] : 0;
        if (s < 0) {
            return -1;
        }
        for (int j = 0; j < terms; j++) {
            if (termAt[j] != j * s) {
                return -1;
            }
        }
        return s;
    }

    /**
     * ROWS rows by VECS vectors of columns of the product (see the class javadoc), {@code live} rows stored. Term j
     * starts at {@code in[inBase + termAt[j]]}, or with {@code termAt} null (no shifts: {@link #evenStride}) at
     * {@code in[inBase + j*inStride]}, an index linear in j, whose bounds checks the JIT can take out of the loop
     * (products of Winograd's points and the 1x1 convolutions: 0 to 10 % more GFLOP/s in a harness, 13 of 17
     * alternating runs faster at 32 to 64 rows, 32 to 128 terms and 128 columns).
     */
    private static void productBlock(int live, int terms, float[] ap, int ai, float[] in, int inBase, int[] termAt,
                                     int inStride, float[] out, int o0, int outStride, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        for (int j = 0; j < terms; j++, ai += ROWS) {
            int q = inBase + (termAt == null ? j * inStride : termAt[j]);
            FloatVector b0 = FloatVector.fromArray(SPECIES, in, q);
            FloatVector b1 = FloatVector.fromArray(SPECIES, in, q + LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(SPECIES, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(SPECIES, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(SPECIES, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(SPECIES, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(SPECIES, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        // Written out rather than through a helper: a vector passed to a call that is not inlined gets boxed.
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(SPECIES, out, o0));
            c01 = c01.add(FloatVector.fromArray(SPECIES, out, o0 + LANES));
        }
        c00.intoArray(out, o0);
        c01.intoArray(out, o0 + LANES);
        if (live > 1) {
            int o1 = o0 + outStride;
            if (accumulate) {
                c10 = c10.add(FloatVector.fromArray(SPECIES, out, o1));
                c11 = c11.add(FloatVector.fromArray(SPECIES, out, o1 + LANES));
            }
            c10.intoArray(out, o1);
            c11.intoArray(out, o1 + LANES);
        }
        if (live > 2) {
            int o2 = o0 + 2 * outStride;
            if (accumulate) {
                c20 = c20.add(FloatVector.fromArray(SPECIES, out, o2));
                c21 = c21.add(FloatVector.fromArray(SPECIES, out, o2 + LANES));
            }
            c20.intoArray(out, o2);
            c21.intoArray(out, o2 + LANES);
        }
        if (live > 3) {
            int o3 = o0 + 3 * outStride;
            if (accumulate) {
                c30 = c30.add(FloatVector.fromArray(SPECIES, out, o3));
                c31 = c31.add(FloatVector.fromArray(SPECIES, out, o3 + LANES));
            }
            c30.intoArray(out, o3);
            c31.intoArray(out, o3 + LANES);
        }
        if (live > 4) {
            int o4 = o0 + 4 * outStride;
            if (accumulate) {
                c40 = c40.add(FloatVector.fromArray(SPECIES, out, o4));
                c41 = c41.add(FloatVector.fromArray(SPECIES, out, o4 + LANES));
            }
            c40.intoArray(out, o4);
            c41.intoArray(out, o4 + LANES);
        }
        if (live > 5) {
            int o5 = o0 + 5 * outStride;
            if (accumulate) {
                c50 = c50.add(FloatVector.fromArray(SPECIES, out, o5));
                c51 = c51.add(FloatVector.fromArray(SPECIES, out, o5 + LANES));
            }
            c50.intoArray(out, o5);
            c51.intoArray(out, o5 + LANES);
        }
    }

    /** {@link #productBlock} for 8 rows by 3 vectors of columns ({@link #WIDE}); same order of terms per element. */
    private static void productBlockWide(int live, int terms, float[] ap, int ai, float[] in, int inBase,
                                         int[] termAt, float[] out, int o0, int outStride, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c02 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c12 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c22 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c32 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c42 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        FloatVector c52 = c00;
        FloatVector c60 = c00;
        FloatVector c61 = c00;
        FloatVector c62 = c00;
        FloatVector c70 = c00;
        FloatVector c71 = c00;
        FloatVector c72 = c00;
        for (int j = 0; j < terms; j++, ai += ROWS) {
            int q = inBase + termAt[j];
            FloatVector b0 = FloatVector.fromArray(SPECIES, in, q);
            FloatVector b1 = FloatVector.fromArray(SPECIES, in, q + LANES);
            FloatVector b2 = FloatVector.fromArray(SPECIES, in, q + 2 * LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            c02 = a.fma(b2, c02);
            a = FloatVector.broadcast(SPECIES, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            c12 = a.fma(b2, c12);
            a = FloatVector.broadcast(SPECIES, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            c22 = a.fma(b2, c22);
            a = FloatVector.broadcast(SPECIES, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            c32 = a.fma(b2, c32);
            a = FloatVector.broadcast(SPECIES, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            c42 = a.fma(b2, c42);
            a = FloatVector.broadcast(SPECIES, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            c52 = a.fma(b2, c52);
            a = FloatVector.broadcast(SPECIES, ap[ai + 6]);
            c60 = a.fma(b0, c60);
            c61 = a.fma(b1, c61);
            c62 = a.fma(b2, c62);
            a = FloatVector.broadcast(SPECIES, ap[ai + 7]);
            c70 = a.fma(b0, c70);
            c71 = a.fma(b1, c71);
            c72 = a.fma(b2, c72);
        }
        // Written out rather than through a helper: a vector passed to a call that is not inlined gets boxed.
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(SPECIES, out, o0));
            c01 = c01.add(FloatVector.fromArray(SPECIES, out, o0 + LANES));
            c02 = c02.add(FloatVector.fromArray(SPECIES, out, o0 + 2 * LANES));
        }
        c00.intoArray(out, o0);
        c01.intoArray(out, o0 + LANES);
        c02.intoArray(out, o0 + 2 * LANES);
        if (live > 1) {
            int o1 = o0 + outStride;
            if (accumulate) {
                c10 = c10.add(FloatVector.fromArray(SPECIES, out, o1));
                c11 = c11.add(FloatVector.fromArray(SPECIES, out, o1 + LANES));
                c12 = c12.add(FloatVector.fromArray(SPECIES, out, o1 + 2 * LANES));
            }
            c10.intoArray(out, o1);
            c11.intoArray(out, o1 + LANES);
            c12.intoArray(out, o1 + 2 * LANES);
        }
        if (live > 2) {
            int o2 = o0 + 2 * outStride;
            if (accumulate) {
                c20 = c20.add(FloatVector.fromArray(SPECIES, out, o2));
                c21 = c21.add(FloatVector.fromArray(SPECIES, out, o2 + LANES));
                c22 = c22.add(FloatVector.fromArray(SPECIES, out, o2 + 2 * LANES));
            }
            c20.intoArray(out, o2);
            c21.intoArray(out, o2 + LANES);
            c22.intoArray(out, o2 + 2 * LANES);
        }
        if (live > 3) {
            int o3 = o0 + 3 * outStride;
            if (accumulate) {
                c30 = c30.add(FloatVector.fromArray(SPECIES, out, o3));
                c31 = c31.add(FloatVector.fromArray(SPECIES, out, o3 + LANES));
                c32 = c32.add(FloatVector.fromArray(SPECIES, out, o3 + 2 * LANES));
            }
            c30.intoArray(out, o3);
            c31.intoArray(out, o3 + LANES);
            c32.intoArray(out, o3 + 2 * LANES);
        }
        if (live > 4) {
            int o4 = o0 + 4 * outStride;
            if (accumulate) {
                c40 = c40.add(FloatVector.fromArray(SPECIES, out, o4));
                c41 = c41.add(FloatVector.fromArray(SPECIES, out, o4 + LANES));
                c42 = c42.add(FloatVector.fromArray(SPECIES, out, o4 + 2 * LANES));
            }
            c40.intoArray(out, o4);
            c41.intoArray(out, o4 + LANES);
            c42.intoArray(out, o4 + 2 * LANES);
        }
        if (live > 5) {
            int o5 = o0 + 5 * outStride;
            if (accumulate) {
                c50 = c50.add(FloatVector.fromArray(SPECIES, out, o5));
                c51 = c51.add(FloatVector.fromArray(SPECIES, out, o5 + LANES));
                c52 = c52.add(FloatVector.fromArray(SPECIES, out, o5 + 2 * LANES));
            }
            c50.intoArray(out, o5);
            c51.intoArray(out, o5 + LANES);
            c52.intoArray(out, o5 + 2 * LANES);
        }
        if (live > 6) {
            int o6 = o0 + 6 * outStride;
            if (accumulate) {
                c60 = c60.add(FloatVector.fromArray(SPECIES, out, o6));
                c61 = c61.add(FloatVector.fromArray(SPECIES, out, o6 + LANES));
                c62 = c62.add(FloatVector.fromArray(SPECIES, out, o6 + 2 * LANES));
            }
            c60.intoArray(out, o6);
            c61.intoArray(out, o6 + LANES);
            c62.intoArray(out, o6 + 2 * LANES);
        }
        if (live > 7) {
            int o7 = o0 + 7 * outStride;
            if (accumulate) {
                c70 = c70.add(FloatVector.fromArray(SPECIES, out, o7));
                c71 = c71.add(FloatVector.fromArray(SPECIES, out, o7 + LANES));
                c72 = c72.add(FloatVector.fromArray(SPECIES, out, o7 + 2 * LANES));
            }
            c70.intoArray(out, o7);
            c71.intoArray(out, o7 + LANES);
            c72.intoArray(out, o7 + 2 * LANES);
        }
    }

    /**
     * d += the correlation of the class javadoc, over cols rounded up to {@link #LANES}; d[r, k, t] is at
     * {@code d[dOff + (r*kdim + k)*taps + t]} (the layout of a [Cout, Cin, kh, kw] weight gradient).
     */
    static void correlate(int rows, int kdim, int taps, float[] e, int eOff, int eStride, float[] in, int inOff,
                          int inStride, int[] off, float[] d, int dOff, int cols) {
        int terms = kdim * taps;
        int r = 0;
        for (; r + CORRELATE_ROWS <= rows; r += CORRELATE_ROWS) {
            int j = 0;
            for (; j + TERMS <= terms; j += TERMS) {
                correlateBlock(e, eOff + r * eStride, eStride, in, inOff, inStride, taps, off, j, d,
                        dOff + r * terms + j, terms, cols);
            }
            for (; j < terms; j++) {
                for (int i = 0; i < CORRELATE_ROWS; i++) {
                    d[dOff + (r + i) * terms + j] += dot(e, eOff + (r + i) * eStride,
                            in, inOff + (j / taps) * inStride + off[j % taps], cols);
                }
            }
        }
        for (; r < rows; r++) {
            for (int j = 0; j < terms; j++) {
                d[dOff + r * terms + j] += dot(e, eOff + r * eStride, in, inOff + (j / taps) * inStride + off[j % taps],
                        cols);
            }
        }
    }

    /** CORRELATE_ROWS rows of e against TERMS consecutive terms j0.. of in: ROWS*TERMS running vector sums, reduced at the end. */
    private static void correlateBlock(float[] e, int eBase, int eStride, float[] in, int inOff, int inStride,
                                       int taps, int[] off, int j0, float[] d, int dBase, int terms, int cols) {
        int x0 = inOff + ((j0 + 0) / taps) * inStride + off[(j0 + 0) % taps];
        int x1 = inOff + ((j0 + 1) / taps) * inStride + off[(j0 + 1) % taps];
        int x2 = inOff + ((j0 + 2) / taps) * inStride + off[(j0 + 2) % taps];
        int x3 = inOff + ((j0 + 3) / taps) * inStride + off[(j0 + 3) % taps];
        int e0 = eBase + 0 * eStride;
        int e1 = eBase + 1 * eStride;
        int e2 = eBase + 2 * eStride;
        int e3 = eBase + 3 * eStride;
        FloatVector s00 = FloatVector.zero(SPECIES);
        FloatVector s01 = s00;
        FloatVector s02 = s00;
        FloatVector s03 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s12 = s00;
        FloatVector s13 = s00;
        FloatVector s20 = s00;
        FloatVector s21 = s00;
        FloatVector s22 = s00;
        FloatVector s23 = s00;
        FloatVector s30 = s00;
        FloatVector s31 = s00;
        FloatVector s32 = s00;
        FloatVector s33 = s00;
        for (int p = 0; p < cols; p += LANES) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, in, x0 + p);
            FloatVector b1 = FloatVector.fromArray(SPECIES, in, x1 + p);
            FloatVector b2 = FloatVector.fromArray(SPECIES, in, x2 + p);
            FloatVector b3 = FloatVector.fromArray(SPECIES, in, x3 + p);
            FloatVector a = FloatVector.fromArray(SPECIES, e, e0 + p);
            s00 = a.fma(b0, s00);
            s01 = a.fma(b1, s01);
            s02 = a.fma(b2, s02);
            s03 = a.fma(b3, s03);
            a = FloatVector.fromArray(SPECIES, e, e1 + p);
            s10 = a.fma(b0, s10);
            s11 = a.fma(b1, s11);
            s12 = a.fma(b2, s12);
            s13 = a.fma(b3, s13);
            a = FloatVector.fromArray(SPECIES, e, e2 + p);
            s20 = a.fma(b0, s20);
            s21 = a.fma(b1, s21);
            s22 = a.fma(b2, s22);
            s23 = a.fma(b3, s23);
            a = FloatVector.fromArray(SPECIES, e, e3 + p);
            s30 = a.fma(b0, s30);
            s31 = a.fma(b1, s31);
            s32 = a.fma(b2, s32);
            s33 = a.fma(b3, s33);
        }
        d[dBase] += s00.reduceLanes(VectorOperators.ADD);
        d[dBase + 1] += s01.reduceLanes(VectorOperators.ADD);
        d[dBase + 2] += s02.reduceLanes(VectorOperators.ADD);
        d[dBase + 3] += s03.reduceLanes(VectorOperators.ADD);
        d[dBase + terms] += s10.reduceLanes(VectorOperators.ADD);
        d[dBase + terms + 1] += s11.reduceLanes(VectorOperators.ADD);
        d[dBase + terms + 2] += s12.reduceLanes(VectorOperators.ADD);
        d[dBase + terms + 3] += s13.reduceLanes(VectorOperators.ADD);
        d[dBase + 2 * terms] += s20.reduceLanes(VectorOperators.ADD);
        d[dBase + 2 * terms + 1] += s21.reduceLanes(VectorOperators.ADD);
        d[dBase + 2 * terms + 2] += s22.reduceLanes(VectorOperators.ADD);
        d[dBase + 2 * terms + 3] += s23.reduceLanes(VectorOperators.ADD);
        d[dBase + 3 * terms] += s30.reduceLanes(VectorOperators.ADD);
        d[dBase + 3 * terms + 1] += s31.reduceLanes(VectorOperators.ADD);
        d[dBase + 3 * terms + 2] += s32.reduceLanes(VectorOperators.ADD);
        d[dBase + 3 * terms + 3] += s33.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Rows of a correlation that {@link #correlateOuter} computes: the largest multiple of two vectors of rows (its
     * blocks keep 24 sums in registers on {@link #WIDE} machines, 12 on AVX2). {@link #correlate} does the rest.
     */
    static int outerRows(int rows) {
        return rows / (2 * LANES) * (2 * LANES);
    }

    /**
     * The correlation with the rows in vector lanes: {@code dT[j, r] += sum_{p < cols} in[inOff + termAt[j] + p] *
     * eT[p, r]} for term j = (k, t) ({@link #termOffsets}) and r &lt; rows, rows a multiple of 2 {@link #LANES}
     * ({@link #outerRows}). eT is e transposed (its row p at {@code eTOff + p*eTStride}), dT the result transposed
     * (row j at {@code dTOff + j*dTStride}). A block keeps 6 terms by 4 vectors of rows (or 12 by 2; on AVX2 6 by
     * 2) in registers over all the columns, broadcasting one input value per term and column: no reduction across
     * lanes and every load of eT whole, where {@link #correlate} reduces 16 sums per block and reads the shifted
     * input unaligned. Each element sums its columns in order; measured 9 to 24 % faster per weight gradient at
     * unet-small's shapes on AVX-512, and about twice {@link #correlate}'s GFLOP/s on AVX2 (a standalone harness,
     * Zen 3: 70 to 81 against 34 to 42).
     */
    static void correlateOuter(int rows, int terms, float[] eT, int eTOff, int eTStride, float[] in, int inOff,
                               int[] termAt, float[] dT, int dTOff, int dTStride, int cols) {
        if (rows % (2 * LANES) != 0) {
            throw new IllegalArgumentException("correlateOuter needs a multiple of " + 2 * LANES + " rows, got "
                    + rows);
        }
        int r = 0;
        if (!WIDE) {
            for (; r < rows; r += 2 * LANES) {
                for (int j = 0; j < terms; j += 6) {
                    outerBlock6x2(Math.min(6, terms - j), eT, eTOff + r, eTStride, in, inOff, termAt, j, dT,
                            dTOff + r, dTStride, cols);
                }
            }
            return;
        }
        for (; r + 4 * LANES <= rows; r += 4 * LANES) {
            int j = 0;
            for (; j + 6 <= terms; j += 6) {
                outerBlock6x4(eT, eTOff + r, eTStride, in, inOff, termAt, j, dT, dTOff + r, dTStride, cols);
            }
            for (; j < terms; j++) {
                outerTerm(eT, eTOff + r, eTStride, in, inOff, termAt, j, 4, dT, dTOff + r, dTStride, cols);
            }
        }
        if (r < rows) {
            int j = 0;
            for (; j + 12 <= terms; j += 12) {
                outerBlock12x2(eT, eTOff + r, eTStride, in, inOff, termAt, j, dT, dTOff + r, dTStride, cols);
            }
            for (; j < terms; j++) {
                outerTerm(eT, eTOff + r, eTStride, in, inOff, termAt, j, 2, dT, dTOff + r, dTStride, cols);
            }
        }
    }

    /** 6 terms by 4 vectors of rows: 24 running sums over all the columns. */
    private static void outerBlock6x4(float[] eT, int eTOff, int eTStride, float[] in, int inOff, int[] x, int j0,
                                      float[] dT, int dTOff, int dTStride, int cols) {
        int x0 = inOff + x[j0 + 0];
        int x1 = inOff + x[j0 + 1];
        int x2 = inOff + x[j0 + 2];
        int x3 = inOff + x[j0 + 3];
        int x4 = inOff + x[j0 + 4];
        int x5 = inOff + x[j0 + 5];
        FloatVector s0_0 = FloatVector.zero(SPECIES);
        FloatVector s0_1 = s0_0;
        FloatVector s0_2 = s0_0;
        FloatVector s0_3 = s0_0;
        FloatVector s1_0 = s0_0;
        FloatVector s1_1 = s0_0;
        FloatVector s1_2 = s0_0;
        FloatVector s1_3 = s0_0;
        FloatVector s2_0 = s0_0;
        FloatVector s2_1 = s0_0;
        FloatVector s2_2 = s0_0;
        FloatVector s2_3 = s0_0;
        FloatVector s3_0 = s0_0;
        FloatVector s3_1 = s0_0;
        FloatVector s3_2 = s0_0;
        FloatVector s3_3 = s0_0;
        FloatVector s4_0 = s0_0;
        FloatVector s4_1 = s0_0;
        FloatVector s4_2 = s0_0;
        FloatVector s4_3 = s0_0;
        FloatVector s5_0 = s0_0;
        FloatVector s5_1 = s0_0;
        FloatVector s5_2 = s0_0;
        FloatVector s5_3 = s0_0;
        for (int p = 0, q = eTOff; p < cols; p++, q += eTStride) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, eT, q);
            FloatVector b1 = FloatVector.fromArray(SPECIES, eT, q + LANES);
            FloatVector b2 = FloatVector.fromArray(SPECIES, eT, q + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(SPECIES, eT, q + 3 * LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, in[x0 + p]);
            s0_0 = a.fma(b0, s0_0);
            s0_1 = a.fma(b1, s0_1);
            s0_2 = a.fma(b2, s0_2);
            s0_3 = a.fma(b3, s0_3);
            a = FloatVector.broadcast(SPECIES, in[x1 + p]);
            s1_0 = a.fma(b0, s1_0);
            s1_1 = a.fma(b1, s1_1);
            s1_2 = a.fma(b2, s1_2);
            s1_3 = a.fma(b3, s1_3);
            a = FloatVector.broadcast(SPECIES, in[x2 + p]);
            s2_0 = a.fma(b0, s2_0);
            s2_1 = a.fma(b1, s2_1);
            s2_2 = a.fma(b2, s2_2);
            s2_3 = a.fma(b3, s2_3);
            a = FloatVector.broadcast(SPECIES, in[x3 + p]);
            s3_0 = a.fma(b0, s3_0);
            s3_1 = a.fma(b1, s3_1);
            s3_2 = a.fma(b2, s3_2);
            s3_3 = a.fma(b3, s3_3);
            a = FloatVector.broadcast(SPECIES, in[x4 + p]);
            s4_0 = a.fma(b0, s4_0);
            s4_1 = a.fma(b1, s4_1);
            s4_2 = a.fma(b2, s4_2);
            s4_3 = a.fma(b3, s4_3);
            a = FloatVector.broadcast(SPECIES, in[x5 + p]);
            s5_0 = a.fma(b0, s5_0);
            s5_1 = a.fma(b1, s5_1);
            s5_2 = a.fma(b2, s5_2);
            s5_3 = a.fma(b3, s5_3);
        }
        int d0 = dTOff + j0 * dTStride;
        s0_0.add(FloatVector.fromArray(SPECIES, dT, d0)).intoArray(dT, d0);
        s0_1.add(FloatVector.fromArray(SPECIES, dT, d0 + LANES)).intoArray(dT, d0 + LANES);
        s0_2.add(FloatVector.fromArray(SPECIES, dT, d0 + 2 * LANES)).intoArray(dT, d0 + 2 * LANES);
        s0_3.add(FloatVector.fromArray(SPECIES, dT, d0 + 3 * LANES)).intoArray(dT, d0 + 3 * LANES);
        int d1 = dTOff + (j0 + 1) * dTStride;
        s1_0.add(FloatVector.fromArray(SPECIES, dT, d1)).intoArray(dT, d1);
        s1_1.add(FloatVector.fromArray(SPECIES, dT, d1 + LANES)).intoArray(dT, d1 + LANES);
        s1_2.add(FloatVector.fromArray(SPECIES, dT, d1 + 2 * LANES)).intoArray(dT, d1 + 2 * LANES);
        s1_3.add(FloatVector.fromArray(SPECIES, dT, d1 + 3 * LANES)).intoArray(dT, d1 + 3 * LANES);
        int d2 = dTOff + (j0 + 2) * dTStride;
        s2_0.add(FloatVector.fromArray(SPECIES, dT, d2)).intoArray(dT, d2);
        s2_1.add(FloatVector.fromArray(SPECIES, dT, d2 + LANES)).intoArray(dT, d2 + LANES);
        s2_2.add(FloatVector.fromArray(SPECIES, dT, d2 + 2 * LANES)).intoArray(dT, d2 + 2 * LANES);
        s2_3.add(FloatVector.fromArray(SPECIES, dT, d2 + 3 * LANES)).intoArray(dT, d2 + 3 * LANES);
        int d3 = dTOff + (j0 + 3) * dTStride;
        s3_0.add(FloatVector.fromArray(SPECIES, dT, d3)).intoArray(dT, d3);
        s3_1.add(FloatVector.fromArray(SPECIES, dT, d3 + LANES)).intoArray(dT, d3 + LANES);
        s3_2.add(FloatVector.fromArray(SPECIES, dT, d3 + 2 * LANES)).intoArray(dT, d3 + 2 * LANES);
        s3_3.add(FloatVector.fromArray(SPECIES, dT, d3 + 3 * LANES)).intoArray(dT, d3 + 3 * LANES);
        int d4 = dTOff + (j0 + 4) * dTStride;
        s4_0.add(FloatVector.fromArray(SPECIES, dT, d4)).intoArray(dT, d4);
        s4_1.add(FloatVector.fromArray(SPECIES, dT, d4 + LANES)).intoArray(dT, d4 + LANES);
        s4_2.add(FloatVector.fromArray(SPECIES, dT, d4 + 2 * LANES)).intoArray(dT, d4 + 2 * LANES);
        s4_3.add(FloatVector.fromArray(SPECIES, dT, d4 + 3 * LANES)).intoArray(dT, d4 + 3 * LANES);
        int d5 = dTOff + (j0 + 5) * dTStride;
        s5_0.add(FloatVector.fromArray(SPECIES, dT, d5)).intoArray(dT, d5);
        s5_1.add(FloatVector.fromArray(SPECIES, dT, d5 + LANES)).intoArray(dT, d5 + LANES);
        s5_2.add(FloatVector.fromArray(SPECIES, dT, d5 + 2 * LANES)).intoArray(dT, d5 + 2 * LANES);
        s5_3.add(FloatVector.fromArray(SPECIES, dT, d5 + 3 * LANES)).intoArray(dT, d5 + 3 * LANES);
    }

    /** 12 terms by 2 vectors of rows: 24 running sums over all the columns. */
    private static void outerBlock12x2(float[] eT, int eTOff, int eTStride, float[] in, int inOff, int[] x, int j0,
                                       float[] dT, int dTOff, int dTStride, int cols) {
        int x0 = inOff + x[j0 + 0];
        int x1 = inOff + x[j0 + 1];
        int x2 = inOff + x[j0 + 2];
        int x3 = inOff + x[j0 + 3];
        int x4 = inOff + x[j0 + 4];
        int x5 = inOff + x[j0 + 5];
        int x6 = inOff + x[j0 + 6];
        int x7 = inOff + x[j0 + 7];
        int x8 = inOff + x[j0 + 8];
        int x9 = inOff + x[j0 + 9];
        int x10 = inOff + x[j0 + 10];
        int x11 = inOff + x[j0 + 11];
        FloatVector s0_0 = FloatVector.zero(SPECIES);
        FloatVector s0_1 = s0_0;
        FloatVector s1_0 = s0_0;
        FloatVector s1_1 = s0_0;
        FloatVector s2_0 = s0_0;
        FloatVector s2_1 = s0_0;
        FloatVector s3_0 = s0_0;
        FloatVector s3_1 = s0_0;
        FloatVector s4_0 = s0_0;
        FloatVector s4_1 = s0_0;
        FloatVector s5_0 = s0_0;
        FloatVector s5_1 = s0_0;
        FloatVector s6_0 = s0_0;
        FloatVector s6_1 = s0_0;
        FloatVector s7_0 = s0_0;
        FloatVector s7_1 = s0_0;
        FloatVector s8_0 = s0_0;
        FloatVector s8_1 = s0_0;
        FloatVector s9_0 = s0_0;
        FloatVector s9_1 = s0_0;
        FloatVector s10_0 = s0_0;
        FloatVector s10_1 = s0_0;
        FloatVector s11_0 = s0_0;
        FloatVector s11_1 = s0_0;
        for (int p = 0, q = eTOff; p < cols; p++, q += eTStride) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, eT, q);
            FloatVector b1 = FloatVector.fromArray(SPECIES, eT, q + LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, in[x0 + p]);
            s0_0 = a.fma(b0, s0_0);
            s0_1 = a.fma(b1, s0_1);
            a = FloatVector.broadcast(SPECIES, in[x1 + p]);
            s1_0 = a.fma(b0, s1_0);
            s1_1 = a.fma(b1, s1_1);
            a = FloatVector.broadcast(SPECIES, in[x2 + p]);
            s2_0 = a.fma(b0, s2_0);
            s2_1 = a.fma(b1, s2_1);
            a = FloatVector.broadcast(SPECIES, in[x3 + p]);
            s3_0 = a.fma(b0, s3_0);
            s3_1 = a.fma(b1, s3_1);
            a = FloatVector.broadcast(SPECIES, in[x4 + p]);
            s4_0 = a.fma(b0, s4_0);
            s4_1 = a.fma(b1, s4_1);
            a = FloatVector.broadcast(SPECIES, in[x5 + p]);
            s5_0 = a.fma(b0, s5_0);
            s5_1 = a.fma(b1, s5_1);
            a = FloatVector.broadcast(SPECIES, in[x6 + p]);
            s6_0 = a.fma(b0, s6_0);
            s6_1 = a.fma(b1, s6_1);
            a = FloatVector.broadcast(SPECIES, in[x7 + p]);
            s7_0 = a.fma(b0, s7_0);
            s7_1 = a.fma(b1, s7_1);
            a = FloatVector.broadcast(SPECIES, in[x8 + p]);
            s8_0 = a.fma(b0, s8_0);
            s8_1 = a.fma(b1, s8_1);
            a = FloatVector.broadcast(SPECIES, in[x9 + p]);
            s9_0 = a.fma(b0, s9_0);
            s9_1 = a.fma(b1, s9_1);
            a = FloatVector.broadcast(SPECIES, in[x10 + p]);
            s10_0 = a.fma(b0, s10_0);
            s10_1 = a.fma(b1, s10_1);
            a = FloatVector.broadcast(SPECIES, in[x11 + p]);
            s11_0 = a.fma(b0, s11_0);
            s11_1 = a.fma(b1, s11_1);
        }
        int d0 = dTOff + j0 * dTStride;
        s0_0.add(FloatVector.fromArray(SPECIES, dT, d0)).intoArray(dT, d0);
        s0_1.add(FloatVector.fromArray(SPECIES, dT, d0 + LANES)).intoArray(dT, d0 + LANES);
        int d1 = dTOff + (j0 + 1) * dTStride;
        s1_0.add(FloatVector.fromArray(SPECIES, dT, d1)).intoArray(dT, d1);
        s1_1.add(FloatVector.fromArray(SPECIES, dT, d1 + LANES)).intoArray(dT, d1 + LANES);
        int d2 = dTOff + (j0 + 2) * dTStride;
        s2_0.add(FloatVector.fromArray(SPECIES, dT, d2)).intoArray(dT, d2);
        s2_1.add(FloatVector.fromArray(SPECIES, dT, d2 + LANES)).intoArray(dT, d2 + LANES);
        int d3 = dTOff + (j0 + 3) * dTStride;
        s3_0.add(FloatVector.fromArray(SPECIES, dT, d3)).intoArray(dT, d3);
        s3_1.add(FloatVector.fromArray(SPECIES, dT, d3 + LANES)).intoArray(dT, d3 + LANES);
        int d4 = dTOff + (j0 + 4) * dTStride;
        s4_0.add(FloatVector.fromArray(SPECIES, dT, d4)).intoArray(dT, d4);
        s4_1.add(FloatVector.fromArray(SPECIES, dT, d4 + LANES)).intoArray(dT, d4 + LANES);
        int d5 = dTOff + (j0 + 5) * dTStride;
        s5_0.add(FloatVector.fromArray(SPECIES, dT, d5)).intoArray(dT, d5);
        s5_1.add(FloatVector.fromArray(SPECIES, dT, d5 + LANES)).intoArray(dT, d5 + LANES);
        int d6 = dTOff + (j0 + 6) * dTStride;
        s6_0.add(FloatVector.fromArray(SPECIES, dT, d6)).intoArray(dT, d6);
        s6_1.add(FloatVector.fromArray(SPECIES, dT, d6 + LANES)).intoArray(dT, d6 + LANES);
        int d7 = dTOff + (j0 + 7) * dTStride;
        s7_0.add(FloatVector.fromArray(SPECIES, dT, d7)).intoArray(dT, d7);
        s7_1.add(FloatVector.fromArray(SPECIES, dT, d7 + LANES)).intoArray(dT, d7 + LANES);
        int d8 = dTOff + (j0 + 8) * dTStride;
        s8_0.add(FloatVector.fromArray(SPECIES, dT, d8)).intoArray(dT, d8);
        s8_1.add(FloatVector.fromArray(SPECIES, dT, d8 + LANES)).intoArray(dT, d8 + LANES);
        int d9 = dTOff + (j0 + 9) * dTStride;
        s9_0.add(FloatVector.fromArray(SPECIES, dT, d9)).intoArray(dT, d9);
        s9_1.add(FloatVector.fromArray(SPECIES, dT, d9 + LANES)).intoArray(dT, d9 + LANES);
        int d10 = dTOff + (j0 + 10) * dTStride;
        s10_0.add(FloatVector.fromArray(SPECIES, dT, d10)).intoArray(dT, d10);
        s10_1.add(FloatVector.fromArray(SPECIES, dT, d10 + LANES)).intoArray(dT, d10 + LANES);
        int d11 = dTOff + (j0 + 11) * dTStride;
        s11_0.add(FloatVector.fromArray(SPECIES, dT, d11)).intoArray(dT, d11);
        s11_1.add(FloatVector.fromArray(SPECIES, dT, d11 + LANES)).intoArray(dT, d11 + LANES);
    }

    /**
     * 6 terms by 2 vectors of rows: 12 running sums, the block that fits AVX2's 16 vector registers with its two
     * loads and one broadcast ({@link #WIDE} machines run {@link #outerBlock6x4} and {@link #outerBlock12x2}). With
     * fewer than 6 terms left ({@code live}) the block still runs six sums, the spare ones over the first term's
     * input, and stores the live ones: twelve independent sums keep both FMA pipes busy, where one term at a time
     * ({@link #outerTerm}) waits on each multiply-add's latency (Winograd's weight gradient of 32 -> 32 at 28x28,
     * batch 64: 8.9 to 9.5 ms against 10.1 to 11.5 with the leftover 2 of 32 terms one at a time; docs/engine.md).
     */
    private static void outerBlock6x2(int live, float[] eT, int eTOff, int eTStride, float[] in, int inOff, int[] x,
                                      int j0, float[] dT, int dTOff, int dTStride, int cols) {
        int x0 = inOff + x[j0];
        int x1 = live > 1 ? inOff + x[j0 + 1] : x0;
        int x2 = live > 2 ? inOff + x[j0 + 2] : x0;
        int x3 = live > 3 ? inOff + x[j0 + 3] : x0;
        int x4 = live > 4 ? inOff + x[j0 + 4] : x0;
        int x5 = live > 5 ? inOff + x[j0 + 5] : x0;
        FloatVector s0_0 = FloatVector.zero(SPECIES);
        FloatVector s0_1 = s0_0;
        FloatVector s1_0 = s0_0;
        FloatVector s1_1 = s0_0;
        FloatVector s2_0 = s0_0;
        FloatVector s2_1 = s0_0;
        FloatVector s3_0 = s0_0;
        FloatVector s3_1 = s0_0;
        FloatVector s4_0 = s0_0;
        FloatVector s4_1 = s0_0;
        FloatVector s5_0 = s0_0;
        FloatVector s5_1 = s0_0;
        for (int p = 0, q = eTOff; p < cols; p++, q += eTStride) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, eT, q);
            FloatVector b1 = FloatVector.fromArray(SPECIES, eT, q + LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, in[x0 + p]);
            s0_0 = a.fma(b0, s0_0);
            s0_1 = a.fma(b1, s0_1);
            a = FloatVector.broadcast(SPECIES, in[x1 + p]);
            s1_0 = a.fma(b0, s1_0);
            s1_1 = a.fma(b1, s1_1);
            a = FloatVector.broadcast(SPECIES, in[x2 + p]);
            s2_0 = a.fma(b0, s2_0);
            s2_1 = a.fma(b1, s2_1);
            a = FloatVector.broadcast(SPECIES, in[x3 + p]);
            s3_0 = a.fma(b0, s3_0);
            s3_1 = a.fma(b1, s3_1);
            a = FloatVector.broadcast(SPECIES, in[x4 + p]);
            s4_0 = a.fma(b0, s4_0);
            s4_1 = a.fma(b1, s4_1);
            a = FloatVector.broadcast(SPECIES, in[x5 + p]);
            s5_0 = a.fma(b0, s5_0);
            s5_1 = a.fma(b1, s5_1);
        }
        int d0 = dTOff + j0 * dTStride;
        s0_0.add(FloatVector.fromArray(SPECIES, dT, d0)).intoArray(dT, d0);
        s0_1.add(FloatVector.fromArray(SPECIES, dT, d0 + LANES)).intoArray(dT, d0 + LANES);
        if (live > 1) {
            int d1 = dTOff + (j0 + 1) * dTStride;
            s1_0.add(FloatVector.fromArray(SPECIES, dT, d1)).intoArray(dT, d1);
            s1_1.add(FloatVector.fromArray(SPECIES, dT, d1 + LANES)).intoArray(dT, d1 + LANES);
        }
        if (live > 2) {
            int d2 = dTOff + (j0 + 2) * dTStride;
            s2_0.add(FloatVector.fromArray(SPECIES, dT, d2)).intoArray(dT, d2);
            s2_1.add(FloatVector.fromArray(SPECIES, dT, d2 + LANES)).intoArray(dT, d2 + LANES);
        }
        if (live > 3) {
            int d3 = dTOff + (j0 + 3) * dTStride;
            s3_0.add(FloatVector.fromArray(SPECIES, dT, d3)).intoArray(dT, d3);
            s3_1.add(FloatVector.fromArray(SPECIES, dT, d3 + LANES)).intoArray(dT, d3 + LANES);
        }
        if (live > 4) {
            int d4 = dTOff + (j0 + 4) * dTStride;
            s4_0.add(FloatVector.fromArray(SPECIES, dT, d4)).intoArray(dT, d4);
            s4_1.add(FloatVector.fromArray(SPECIES, dT, d4 + LANES)).intoArray(dT, d4 + LANES);
        }
        if (live > 5) {
            int d5 = dTOff + (j0 + 5) * dTStride;
            s5_0.add(FloatVector.fromArray(SPECIES, dT, d5)).intoArray(dT, d5);
            s5_1.add(FloatVector.fromArray(SPECIES, dT, d5 + LANES)).intoArray(dT, d5 + LANES);
        }
    }

    /**
     * The terms a 6x4 or 12x2 block leaves: 1 term by {@code vectors} vectors of rows, one vector of running sums
     * at a time over all the columns (the same sums in the same order as a block's).
     */
    private static void outerTerm(float[] eT, int eTOff, int eTStride, float[] in, int inOff, int[] x, int j,
                                  int vectors, float[] dT, int dTOff, int dTStride, int cols) {
        int x0 = inOff + x[j];
        for (int v = 0; v < vectors; v++) {
            FloatVector s = FloatVector.zero(SPECIES);
            for (int p = 0, q = eTOff + v * LANES; p < cols; p++, q += eTStride) {
                s = FloatVector.broadcast(SPECIES, in[x0 + p]).fma(FloatVector.fromArray(SPECIES, eT, q), s);
            }
            int d = dTOff + j * dTStride + v * LANES;
            s.add(FloatVector.fromArray(SPECIES, dT, d)).intoArray(dT, d);
        }
    }

    private static float dot(float[] e, int eAt, float[] in, int inAt, int cols) {
        FloatVector s = FloatVector.zero(SPECIES);
        for (int p = 0; p < cols; p += LANES) {
            s = FloatVector.fromArray(SPECIES, e, eAt + p).fma(FloatVector.fromArray(SPECIES, in, inAt + p), s);
        }
        return s.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@code to[toOff + p*rows + r] = from[fromOff + r*stride + p]} for r &lt; rows, p &lt; cols (the regions must
     * not overlap): rows into lanes, the layout {@link #correlateOuter} reads e in; 16 columns at a time so that
     * each row's reads and the transposed writes stay within a few cache lines.
     */
    static void transpose(float[] from, int fromOff, int stride, int rows, int cols, float[] to, int toOff) {
        for (int p0 = 0; p0 < cols; p0 += 16) {
            int p1 = Math.min(cols, p0 + 16);
            for (int r = 0; r < rows; r++) {
                int src = fromOff + r * stride;
                for (int p = p0; p < p1; p++) {
                    to[toOff + p * rows + r] = from[src + p];
                }
            }
        }
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** a rounded up to a multiple of b. */
    static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }
}
