package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Gemm;
import java.util.Arrays;

/**
 * Stride-1 convolution as kh*kw shifted GEMMs over a zero-padded copy of the input, with no im2col.
 *
 * <pre>
 * xp  [Cin, cs]     B images side by side, each a zero-padded plane Hp x Wp (Hp = H + 2 pad, Wp = W + 2 pad),
 *                   cs = B*Hp*Wp + kw - 1 (a zero tail so every shifted read stays inside the channel)
 * wr  [kh*kw, Cout, Cin]   wr[u*kw+v][o][c] = w[o][c][u][v]
 * yw  [Cout, Q]     "wide" output: column q = b*Hp*Wp + i*Wp + j is output (i, j) of image b when i < Ho and
 *                   j < Wo; other columns are garbage. Q = (B-1)*Hp*Wp + Ho*Wp
 * yw = sum_{u,v} wr[u,v] xp[:, q + u*Wp + v]        (one GEMM per tap, k = Cin)
 * backward: dyw = dy spread into wide columns (garbage = 0)
 *   dwr[u,v] += dyw xp[:, . + u*Wp + v]^T          dxp[:, . + u*Wp + v] += wr[u,v]^T dyw
 * </pre>
 *
 * <p>A 3x3 im2col would copy the input nine times; here the copy is ~1.2 times the input and each tap's GEMM
 * reads it from cache, at the price of computing the garbage columns (7% at 28x28, more at 7x7).
 */
final class ShiftedConv {
    private ShiftedConv() {
    }

    /** Images per GEMM: enough to give {@link Conv2d#TARGET_COLUMNS} wide columns. */
    static int chunk(Conv2d.Geometry g) {
        int plane = (g.h() + 2 * g.pad()) * (g.w() + 2 * g.pad());
        return Math.min(g.n(), Math.max(1, Conv2d.TARGET_COLUMNS / plane));
    }

    private static int channelStride(Conv2d.Geometry g, int nb) {
        return nb * (g.h() + 2 * g.pad()) * (g.w() + 2 * g.pad()) + g.kw() - 1;
    }

    private static int wideColumns(Conv2d.Geometry g, int nb) {
        int wp = g.w() + 2 * g.pad();
        return (nb - 1) * (g.h() + 2 * g.pad()) * wp + g.ho() * wp;
    }

    static long scratchSize(Conv2d.Geometry g) {
        int nb = chunk(g);
        long xp = (long) g.cin() * channelStride(g, nb);
        long yw = (long) g.cout() * wideColumns(g, nb);
        long w = (long) g.k() * g.cout();
        return 2 * xp + yw + 2 * w;
    }

    static void forward(Conv2d.Geometry g, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
                        float[] y, int yOff, float[] scratch) {
        int chunk = chunk(g);
        int taps = g.kh() * g.kw();
        int wp = g.w() + 2 * g.pad();
        int plane = (g.h() + 2 * g.pad()) * wp;
        int cs = channelStride(g, chunk);
        int xpOff = 0;
        int ywOff = g.cin() * cs;
        int wrOff = ywOff + g.cout() * wideColumns(g, chunk);
        repackWeights(g, w, wOff, scratch, wrOff);
        int hw = g.ho() * g.wo();
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            int q = wideColumns(g, nb);
            pad(g, x, xOff, n0, nb, scratch, xpOff, cs);
            // The bias seeds the accumulator, so every tap adds (beta = 1) and the copy-out is plain row copies.
            for (int o = 0; o < g.cout(); o++) {
                Arrays.fill(scratch, ywOff + o * q, ywOff + (o + 1) * q, b == null ? 0f : b[bOff + o]);
            }
            for (int t = 0; t < taps; t++) {
                int shift = (t / g.kw()) * wp + t % g.kw();
                Gemm.sgemm(false, false, g.cout(), q, g.cin(), 1f, scratch, wrOff + t * g.cout() * g.cin(), g.cin(),
                        scratch, xpOff + shift, cs, 1f, scratch, ywOff, q);
            }
            for (int i = 0; i < nb; i++) {
                for (int o = 0; o < g.cout(); o++) {
                    int dst = yOff + ((n0 + i) * g.cout() + o) * hw;
                    int src = ywOff + o * q + i * plane;
                    for (int r = 0; r < g.ho(); r++) {
                        System.arraycopy(scratch, src + r * wp, y, dst + r * g.wo(), g.wo());
                    }
                }
            }
        }
    }

    static void backward(Conv2d.Geometry g, float[] dy, int dyOff, float[] x, int xOff, float[] w, int wOff,
                         float[] dx, int dxOff, float[] dw, int dwOff, float[] scratch) {
        int chunk = chunk(g);
        int taps = g.kh() * g.kw();
        int wp = g.w() + 2 * g.pad();
        int plane = (g.h() + 2 * g.pad()) * wp;
        int cs = channelStride(g, chunk);
        int xpOff = 0;
        int dywOff = g.cin() * cs;
        int dxpOff = dywOff + g.cout() * wideColumns(g, chunk);
        int wrOff = dxpOff + g.cin() * cs;
        int dwrOff = wrOff + g.k() * g.cout();
        int hw = g.ho() * g.wo();
        int taps3 = g.cout() * g.cin();
        repackWeights(g, w, wOff, scratch, wrOff);
        if (dw != null) {
            Arrays.fill(scratch, dwrOff, dwrOff + g.k() * g.cout(), 0f);
        }
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            int q = wideColumns(g, nb);
            Arrays.fill(scratch, dywOff, dywOff + g.cout() * q, 0f);
            for (int i = 0; i < nb; i++) {
                for (int o = 0; o < g.cout(); o++) {
                    int src = dyOff + ((n0 + i) * g.cout() + o) * hw;
                    int dst = dywOff + o * q + i * plane;
                    for (int r = 0; r < g.ho(); r++) {
                        System.arraycopy(dy, src + r * g.wo(), scratch, dst + r * wp, g.wo());
                    }
                }
            }
            if (dw != null) {
                pad(g, x, xOff, n0, nb, scratch, xpOff, cs);
                for (int t = 0; t < taps; t++) {
                    int shift = (t / g.kw()) * wp + t % g.kw();
                    Gemm.sgemm(false, true, g.cout(), g.cin(), q, 1f, scratch, dywOff, q, scratch, xpOff + shift, cs,
                            1f, scratch, dwrOff + t * taps3, g.cin());
                }
            }
            if (dx != null) {
                Arrays.fill(scratch, dxpOff, dxpOff + g.cin() * cs, 0f);
                for (int t = 0; t < taps; t++) {
                    int shift = (t / g.kw()) * wp + t % g.kw();
                    Gemm.sgemm(true, false, g.cin(), q, g.cout(), 1f, scratch, wrOff + t * taps3, g.cin(),
                            scratch, dywOff, q, 1f, scratch, dxpOff + shift, cs);
                }
                unpadAccumulate(g, scratch, dxpOff, cs, n0, nb, dx, dxOff);
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

    /** Zero-padded copy of images n0 .. n0+nb-1 into xp [Cin, cs]. */
    private static void pad(Conv2d.Geometry g, float[] x, int xOff, int n0, int nb, float[] xp, int xpOff, int cs) {
        int wp = g.w() + 2 * g.pad();
        int plane = (g.h() + 2 * g.pad()) * wp;
        int hw = g.h() * g.w();
        Arrays.fill(xp, xpOff, xpOff + g.cin() * cs, 0f);
        for (int c = 0; c < g.cin(); c++) {
            for (int i = 0; i < nb; i++) {
                int src = xOff + ((n0 + i) * g.cin() + c) * hw;
                int dst = xpOff + c * cs + i * plane + g.pad() * wp + g.pad();
                for (int r = 0; r < g.h(); r++) {
                    System.arraycopy(x, src + r * g.w(), xp, dst + r * wp, g.w());
                }
            }
        }
    }

    /** dx += the interior of dxp. */
    private static void unpadAccumulate(Conv2d.Geometry g, float[] dxp, int dxpOff, int cs, int n0, int nb,
                                        float[] dx, int dxOff) {
        int wp = g.w() + 2 * g.pad();
        int plane = (g.h() + 2 * g.pad()) * wp;
        int hw = g.h() * g.w();
        for (int c = 0; c < g.cin(); c++) {
            for (int i = 0; i < nb; i++) {
                int dst = dxOff + ((n0 + i) * g.cin() + c) * hw;
                int src = dxpOff + c * cs + i * plane + g.pad() * wp + g.pad();
                for (int r = 0; r < g.h(); r++) {
                    for (int j = 0; j < g.w(); j++) {
                        dx[dst + r * g.w() + j] += dxp[src + r * wp + j];
                    }
                }
            }
        }
    }
}
