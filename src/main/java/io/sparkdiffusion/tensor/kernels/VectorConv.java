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
     * with 32 vector registers (AVX-512: 16 lanes); otherwise 4 by 4 (16 accumulators, AVX2's 16 registers).
     * It loads 11 vectors per 24 multiply-adds instead of 8 per 16. Measured on AVX-512 (AMD EPYC, Zen 5, JDK 17,
     * 2026-12-02), products of 32 to 64 rows, 32 to 1,152 terms and 192 columns in one JVM: 4 x 4 ran 156 to 194
     * GFLOP/s, this 171 to 211; the convolutions' backward passes at batch 64 ({@code ./probe.sh kernels}, old
     * and new build alternating) 7 to 15 % faster, their forward passes 0 to 5 %. Each output element still sums
     * its terms in the same order, so the results are bit for bit those of 4 x 4.
     */
    static final boolean WIDE = LANES >= 16;
    /** Output rows per product block; also the packing unit of a. */
    static final int ROWS = WIDE ? 8 : 4;
    /** Vectors of columns per product block: ROWS * VECS accumulators stay in registers. */
    static final int VECS = WIDE ? 3 : 4;
    /** Columns per product block. */
    static final int BLOCK = VECS * LANES;
    /** Terms (k, t) per correlate block. */
    private static final int TERMS = 4;
    /** Rows of e per correlate block. */
    private static final int CORRELATE_ROWS = 4;

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
     * out = the product of the class javadoc, or out += it when {@code accumulate}, over cols rounded up to
     * {@link #BLOCK}.
     */
    static void product(int rows, int kdim, int taps, float[] ap, int apOff, float[] in, int inOff, int inStride,
                        int[] off, float[] out, int outOff, int outStride, int cols, boolean accumulate) {
        int terms = kdim * taps;
        // One flat loop over the terms (k, t) keeps the accumulators in registers (C2 boxes vectors carried
        // through nested loops); termAt[j] is where term j starts in "in", relative to the block's column.
        int[] termAt = new int[terms];
        for (int j = 0; j < terms; j++) {
            termAt[j] = (j / taps) * inStride + off[j % taps];
        }
        product(rows, terms, ap, apOff, in, inOff, termAt, out, outOff, outStride, cols, accumulate);
    }

    /**
     * The product over precomputed terms: term j of a row block starts at {@code in[inOff + termAt[j] + column]}
     * (for taps = 1 and no shift, {@code termAt[k] = k * inStride}), so a caller that runs many products of one
     * shape computes termAt once.
     */
    static void product(int rows, int terms, float[] ap, int apOff, float[] in, int inOff, int[] termAt,
                        float[] out, int outOff, int outStride, int cols, boolean accumulate) {
        int blocks = ceilDiv(rows, ROWS);
        // Column blocks outside, row blocks inside: the in-columns a block reads (kdim rows, BLOCK plus the
        // largest shift wide) stay in L1 while every row block uses them; the packed a streams in order.
        for (int p = 0; p < cols; p += BLOCK) {
            for (int rb = 0; rb < blocks; rb++) {
                int live = Math.min(ROWS, rows - rb * ROWS);
                if (WIDE) {
                    productBlockWide(live, terms, ap, apOff + rb * terms * ROWS, in, inOff + p, termAt,
                            out, outOff + rb * ROWS * outStride + p, outStride, accumulate);
                } else {
                    productBlock(live, terms, ap, apOff + rb * terms * ROWS, in, inOff + p, termAt,
                            out, outOff + rb * ROWS * outStride + p, outStride, accumulate);
                }
            }
        }
    }

    private static void productBlock(int live, int terms, float[] ap, int ai, float[] in, int inBase, int[] termAt,
                                     float[] out, int o0, int outStride, boolean accumulate) {
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
        for (int j = 0; j < terms; j++, ai += ROWS) {
            int q = inBase + termAt[j];
            FloatVector b0 = FloatVector.fromArray(SPECIES, in, q);
            FloatVector b1 = FloatVector.fromArray(SPECIES, in, q + LANES);
            FloatVector b2 = FloatVector.fromArray(SPECIES, in, q + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(SPECIES, in, q + 3 * LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            c02 = a.fma(b2, c02);
            c03 = a.fma(b3, c03);
            a = FloatVector.broadcast(SPECIES, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            c12 = a.fma(b2, c12);
            c13 = a.fma(b3, c13);
            a = FloatVector.broadcast(SPECIES, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            c22 = a.fma(b2, c22);
            c23 = a.fma(b3, c23);
            a = FloatVector.broadcast(SPECIES, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            c32 = a.fma(b2, c32);
            c33 = a.fma(b3, c33);
        }
        // Written out rather than through a helper: a vector passed to a call that is not inlined gets boxed.
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(SPECIES, out, o0));
            c01 = c01.add(FloatVector.fromArray(SPECIES, out, o0 + LANES));
            c02 = c02.add(FloatVector.fromArray(SPECIES, out, o0 + 2 * LANES));
            c03 = c03.add(FloatVector.fromArray(SPECIES, out, o0 + 3 * LANES));
        }
        c00.intoArray(out, o0);
        c01.intoArray(out, o0 + LANES);
        c02.intoArray(out, o0 + 2 * LANES);
        c03.intoArray(out, o0 + 3 * LANES);
        if (live > 1) {
            int o1 = o0 + outStride;
            if (accumulate) {
                c10 = c10.add(FloatVector.fromArray(SPECIES, out, o1));
                c11 = c11.add(FloatVector.fromArray(SPECIES, out, o1 + LANES));
                c12 = c12.add(FloatVector.fromArray(SPECIES, out, o1 + 2 * LANES));
                c13 = c13.add(FloatVector.fromArray(SPECIES, out, o1 + 3 * LANES));
            }
            c10.intoArray(out, o1);
            c11.intoArray(out, o1 + LANES);
            c12.intoArray(out, o1 + 2 * LANES);
            c13.intoArray(out, o1 + 3 * LANES);
        }
        if (live > 2) {
            int o2 = o0 + 2 * outStride;
            if (accumulate) {
                c20 = c20.add(FloatVector.fromArray(SPECIES, out, o2));
                c21 = c21.add(FloatVector.fromArray(SPECIES, out, o2 + LANES));
                c22 = c22.add(FloatVector.fromArray(SPECIES, out, o2 + 2 * LANES));
                c23 = c23.add(FloatVector.fromArray(SPECIES, out, o2 + 3 * LANES));
            }
            c20.intoArray(out, o2);
            c21.intoArray(out, o2 + LANES);
            c22.intoArray(out, o2 + 2 * LANES);
            c23.intoArray(out, o2 + 3 * LANES);
        }
        if (live > 3) {
            int o3 = o0 + 3 * outStride;
            if (accumulate) {
                c30 = c30.add(FloatVector.fromArray(SPECIES, out, o3));
                c31 = c31.add(FloatVector.fromArray(SPECIES, out, o3 + LANES));
                c32 = c32.add(FloatVector.fromArray(SPECIES, out, o3 + 2 * LANES));
                c33 = c33.add(FloatVector.fromArray(SPECIES, out, o3 + 3 * LANES));
            }
            c30.intoArray(out, o3);
            c31.intoArray(out, o3 + LANES);
            c32.intoArray(out, o3 + 2 * LANES);
            c33.intoArray(out, o3 + 3 * LANES);
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

    private static float dot(float[] e, int eAt, float[] in, int inAt, int cols) {
        FloatVector s = FloatVector.zero(SPECIES);
        for (int p = 0; p < cols; p += LANES) {
            s = FloatVector.fromArray(SPECIES, e, eAt + p).fma(FloatVector.fromArray(SPECIES, in, inAt + p), s);
        }
        return s.reduceLanes(VectorOperators.ADD);
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** a rounded up to a multiple of b. */
    static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }
}
