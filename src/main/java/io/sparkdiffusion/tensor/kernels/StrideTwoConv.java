package io.sparkdiffusion.tensor.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The forward of a 3x3, stride-2, padding-1 convolution (a U-Net's downsample) on the vector engine, over the
 * input's four phases instead of im2col.
 *
 * <p>Output pixel (R, S) reads input rows {@code 2R - 1, 2R, 2R + 1} and the same columns. Split x into its phases
 * {@code P[a][b][r, s] = x[2r + a, 2s + b]}: kernel row u = 0 reads phase row a = 1 one row up, u = 1 phase row 0,
 * u = 2 phase row 1, both at row R; columns likewise. So with each phase plane laid out as {@link ShiftedConv}
 * lays out a padded image (a zero row on top, one zero column per row shared with the row before, row width
 * {@code Wo + 1}), tap (u, v) of channel c is the phase plane {@code (a(u), b(v))} of c read at a shift of 0 or -1
 * rows and 0 or -1 columns, and the convolution is one {@link VectorConv#product} over {@code 4 Cin} planes: no
 * column matrix nine times the input, and the input is read once, not nine times with a stride of 2.
 *
 * <pre>
 * per chunk of nb images (plane = (Ho + 1)(Wo + 1), lead = Wo + 2, cs = lead + yws):
 *   xp [4 phases, Cin, cs]   phase (a, b) of channel c at ((2a + b) Cin + c) cs, image i at i * plane, its pixel
 *                            (r, s) at lead + r (Wo + 1) + s; zero elsewhere
 *   yw [Cout, yws]           the product: image i's output (R, S) at column i * plane + R (Wo + 1) + S
 *                            (yws = the wide columns rounded up to whole blocks)
 *   ap                       w packed for VectorConv, terms in im2col's order (c, u, v)
 * </pre>
 *
 * <p>The terms run in im2col's row order (c, u, v) over the same values (input or zero), each output column in its
 * own lane, and the bias is added after the sums as the im2col forward adds it: the output is bit for bit
 * {@link Conv2d}'s im2col product, alone or in any batch. Measured against it in one JVM, alternating (AMD EPYC
 * Zen 5, AVX-512, JDK 17, batch 64, 2026-12-05): 32 channels at 28x28 2.5 ms against 3.9, 64 at 14x14 2.4 against
 * 3.1. The backward stays on im2col.
 */
final class StrideTwoConv {
    /** Phase row (or column) and shift of kernel row (or column) u = 0, 1, 2. */
    private static final int[] PHASE = {1, 0, 1};
    private static final int[] SHIFT = {-1, 0, 0};
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** A vector of x's row rearranged to its even lanes then its odd ones, and to its odd lanes then its even. */
    private static final VectorShuffle<Float> EVEN_ODD = VectorShuffle.fromOp(SPECIES,
            i -> i < LANES / 2 ? 2 * i : 2 * (i - LANES / 2) + 1);
    private static final VectorShuffle<Float> ODD_EVEN = VectorShuffle.fromOp(SPECIES,
            i -> i < LANES / 2 ? 2 * i + 1 : 2 * (i - LANES / 2));

    private StrideTwoConv() {
    }

    /** True for the convolutions this forward computes: 3x3, stride 2, padding 1. */
    static boolean applies(Conv2d.Geometry g) {
        return g.stride() == 2 && g.kh() == 3 && g.kw() == 3 && g.pad() == 1;
    }

    private static int rowWidth(Conv2d.Geometry g) {
        return g.wo() + 1;
    }

    private static int plane(Conv2d.Geometry g) {
        return (g.ho() + 1) * rowWidth(g);
    }

    private static int lead(Conv2d.Geometry g) {
        return rowWidth(g) + 1;
    }

    /** Images per product: enough for about {@link Conv2d#TARGET_COLUMNS} wide columns. */
    static int chunk(Conv2d.Geometry g) {
        return Math.min(g.n(), Math.max(1, Conv2d.TARGET_COLUMNS / plane(g)));
    }

    private static int wideColumns(Conv2d.Geometry g, int nb) {
        return (nb - 1) * plane(g) + g.ho() * rowWidth(g);
    }

    private static int outputStride(Conv2d.Geometry g) {
        return VectorConv.roundUp(wideColumns(g, chunk(g)), VectorConv.BLOCK);
    }

    /**
     * A phase plane's row stride: the reads of the last block end at lead + yws; {@link #splitPhases} writes up to
     * a vector past the last image's last row.
     */
    private static int channelStride(Conv2d.Geometry g) {
        return lead(g) + outputStride(g) + LANES;
    }

    /** Floats of scratch {@link #forward} needs. */
    static long scratchSize(Conv2d.Geometry g) {
        return 4L * g.cin() * channelStride(g) + (long) g.cout() * outputStride(g)
                + VectorConv.packedSize(g.cout(), g.k(), 1);
    }

    /** y = conv(x, w) + b, overwritten; b may be null. The caller has checked the views and scratch. */
    static void forward(Conv2d.Geometry g, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y,
                        int yOff, float[] scratch) {
        int cs = channelStride(g);
        int yws = outputStride(g);
        int ywOff = 4 * g.cin() * cs;
        int apOff = ywOff + g.cout() * yws;
        int wp = rowWidth(g);
        int plane = plane(g);
        int hw = g.ho() * g.wo();
        VectorConv.pack(g.cout(), g.k(), 1, w, wOff, g.k(), 1, 1, scratch, apOff);
        int[] termAt = new int[g.k()];
        for (int c = 0, j = 0; c < g.cin(); c++) {
            for (int u = 0; u < 3; u++) {
                for (int v = 0; v < 3; v++, j++) {
                    termAt[j] = ((2 * PHASE[u] + PHASE[v]) * g.cin() + c) * cs + lead(g) + SHIFT[u] * wp + SHIFT[v];
                }
            }
        }
        int chunk = chunk(g);
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            splitPhases(g, x, xOff, n0, nb, scratch, cs);
            VectorConv.product(g.cout(), g.k(), scratch, apOff, scratch, 0, termAt, scratch, ywOff, yws,
                    wideColumns(g, nb), false);
            for (int i = 0; i < nb; i++) {
                for (int o = 0; o < g.cout(); o++) {
                    // + 0f without a bias, as the im2col forward adds it: -0 sums come out +0 there too
                    float bias = b == null ? 0f : b[bOff + o];
                    VectorRows.copyPlus(scratch, ywOff + o * yws + i * plane, wp, y,
                            yOff + ((n0 + i) * g.cout() + o) * hw, g.wo(), g.ho(), g.wo(), bias);
                }
            }
        }
    }

    /**
     * Zeroes the phase block at the front of scratch and writes images n0 .. n0+nb-1's phases into it. A row of x
     * goes a vector at a time (the last one overlapping): each vector rearranged to its even lanes first is stored
     * into phase (a, 0)'s row, to its odd lanes first into phase (a, 1)'s, half a vector of each store landing past
     * what it fills; those floats are zeroed again after the row, and the rows, channels and images that own them
     * are written later (each phase row after the row before it, each image after the one before it). Rows whose
     * vector would read past x's end, and a last even column the overlapping vector misses, go element by element.
     */
    private static void splitPhases(Conv2d.Geometry g, float[] x, int xOff, int n0, int nb, float[] xp, int cs) {
        Arrays.fill(xp, 0, 4 * g.cin() * cs, 0f);
        int h = g.h();
        int w = g.w();
        int wp = rowWidth(g);
        int plane = plane(g);
        int lead = lead(g);
        int phaseStride = g.cin() * cs;
        int xEnd = xOff + g.n() * g.cin() * h * w;
        int evens = (w + 1) / 2;
        int odds = w / 2;
        int last = w >= LANES ? (w - LANES) & ~1 : 0;
        int written = last / 2 + LANES;
        for (int i = 0; i < nb; i++) {
            for (int c = 0; c < g.cin(); c++) {
                int src = xOff + ((n0 + i) * g.cin() + c) * h * w;
                for (int iy = 0; iy < h; iy++, src += w) {
                    // Row iy is phase row a = iy % 2, row iy / 2: even columns into phase (a, 0), odd into (a, 1).
                    int even = (2 * (iy & 1)) * phaseStride + c * cs + i * plane + lead + (iy >> 1) * wp;
                    int odd = even + phaseStride;
                    if (src + last + LANES > xEnd) {
                        for (int s = 0; 2 * s < w; s++) {
                            xp[even + s] = x[src + 2 * s];
                            if (2 * s + 1 < w) {
                                xp[odd + s] = x[src + 2 * s + 1];
                            }
                        }
                        continue;
                    }
                    for (int j = 0; j < last; j += LANES) {
                        FloatVector v = FloatVector.fromArray(SPECIES, x, src + j);
                        v.rearrange(EVEN_ODD).intoArray(xp, even + j / 2);
                        v.rearrange(ODD_EVEN).intoArray(xp, odd + j / 2);
                    }
                    FloatVector v = FloatVector.fromArray(SPECIES, x, src + last);
                    v.rearrange(EVEN_ODD).intoArray(xp, even + last / 2);
                    v.rearrange(ODD_EVEN).intoArray(xp, odd + last / 2);
                    if (last + LANES < w) {
                        // odd w: the last vector starts at w - LANES - 1 and misses column w - 1
                        xp[even + evens - 1] = x[src + w - 1];
                    }
                    Arrays.fill(xp, even + evens, even + written, 0f);
                    Arrays.fill(xp, odd + odds, odd + written, 0f);
                }
            }
        }
    }
}
