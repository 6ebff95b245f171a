package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.Arrays;

/**
 * Nearest-neighbour upsampling by 2 followed by a 3x3, stride-1, padding-1 convolution (a U-Net's upsampling
 * block), computed without the upsampled image and with 4 taps per output instead of 9.
 *
 * <p>Output row {@code 2i + a} of the convolution reads upsampled rows {@code 2i + a - 1 .. 2i + a + 1}, which are
 * input rows {@code i - 1, i, i} for {@code a = 0} and {@code i, i, i + 1} for {@code a = 1}: two input rows, the
 * 3x3 kernel's rows summed in pairs ({@code [w0, w1 + w2]} and {@code [w0 + w1, w2]}). Columns likewise. So each of
 * the output's four phases {@code (a, b)} is a 2x2 convolution of the input with summed taps, and all four are one
 * 2x2, padding-1 convolution of x with {@code 4 Cout} output channels (phase-major), whose {@code (H + 1) x (W + 1)}
 * output holds phase {@code (a, b)}'s pixel {@code (i, j)} at {@code (i + a, j + b)}:
 *
 * <pre>
 * wp[(2a + b) Cout + o, c, p, q] = sum_{u in R[a][p], v in R[b][q]} w[o, c, u, v]
 *     R[0] = {{0}, {1, 2}},  R[1] = {{0, 1}, {2}}
 * y[n, o, 2i + a, 2j + b] = conv2x2_pad1(x, wp)[n, (2a + b) Cout + o, i + a, j + b] + bias[o]
 * </pre>
 *
 * That is 16 multiply-adds per input pixel and channel pair for 4 output pixels where the upsampled convolution
 * takes 36 (plus an unused row and column per phase: {@code (H + 1)(W + 1)} outputs for {@code H W}). Backward
 * scatters dy into the phases' layout (zeros at the unused row and column), runs the 2x2 convolution's backward
 * (dx directly, dwp) and sums dwp back into dw with the same pairs. The phases' convolution is {@link Conv2d}'s, so
 * on the vector engine each image's output is the same bits alone or in a batch; the rounding differs from the
 * upsampled convolution's by the summed taps (a few 1e-7 relative).
 *
 * <p>Images go through the phases' convolution in chunks of {@link Geometry#chunk()}, so that its buffer stays
 * about 2 MB whatever the batch.
 */
public final class UpsampleConv {
    /** Floats of the phases' output (or output gradient) per chunk of images, about. */
    private static final int CHUNK_FLOATS = 1 << 19;

    private UpsampleConv() {
    }

    /** x {@code [n, cin, h, w]}, weight {@code [cout, cin, 3, 3]}, y {@code [n, cout, 2h, 2w]}. */
    public record Geometry(int n, int cin, int h, int w, int cout) {
        public Geometry {
            if (n <= 0 || cin <= 0 || h <= 0 || w <= 0 || cout <= 0) {
                throw new IllegalArgumentException("upsampled conv2d sizes must be positive, got " + this);
            }
        }

        /** The convolution of the upsampled input: 3x3, stride 1, padding 1, on 2H x 2W. */
        public Conv2d.Geometry upsampled() {
            return new Conv2d.Geometry(n, cin, 2 * h, 2 * w, cout, 3, 3, 1, 1);
        }

        /** Images per call of the phases' convolution. */
        int chunk() {
            return Math.max(1, Math.min(n, CHUNK_FLOATS / phaseImage()));
        }

        /** The four phases' convolution of {@code images} input images: 2x2, padding 1, 4 Cout channels. */
        Conv2d.Geometry phases(int images) {
            return new Conv2d.Geometry(images, cin, h, w, 4 * cout, 2, 2, 1, 1);
        }

        String input() {
            return "[N, Cin, H, W] = [" + n + ", " + cin + ", " + h + ", " + w + "]";
        }

        String output() {
            return "[N, Cout, 2H, 2W] = [" + n + ", " + cout + ", " + 2 * h + ", " + 2 * w + "]";
        }

        private int phaseImage() {
            return 4 * cout * (h + 1) * (w + 1);
        }

        private int phaseWeights() {
            return 4 * cout * cin * 4;
        }
    }

    /**
     * True when this op computes g, false when the upsampled convolution costs less as two ops, an upsampling then
     * {@link Conv2d}: where Conv2d runs g's upsampled convolution on Winograd F(4x4, 3x3) (2.25 multiply-adds per
     * output and channel pair against the phases' 4). Measured in UNetBench (AMD EPYC, Zen 3, AVX2, 2026-12-07,
     * batch 64, both ways alternating twice): 64 -> 64 from 14x14 to 28x28 took 31.0 ms per step forward and 75.0
     * backward as two ops against 35.5 and 89.5 as this one; the step 1.476 and 1.496 s against 1.476 and 1.510.
     */
    public static boolean fuses(Geometry g) {
        return !Conv2d.runsOnWinograd(g.upsampled());
    }

    /**
     * Floats of {@code work} that forward and backward use (the summed weights and their gradient, the repeated
     * bias, one chunk's phases). Each call writes what it reads there: nothing needs to survive from forward to
     * backward, so any array of this size will do.
     */
    public static long workSize(Geometry g) {
        return 2L * g.phaseWeights() + 4L * g.cout() + (long) g.chunk() * g.phaseImage();
    }

    /** Floats of {@code scratch} (the phases' convolution's). */
    public static int scratchSize(Geometry g) {
        return Conv2d.scratchSize(g.phases(g.chunk()));
    }

    /** y = conv3x3(upsample(x), w) + b; y is overwritten; b may be null. */
    public static void forward(Geometry g, Tensor x, Tensor w, Tensor b, Tensor y, float[] work, float[] scratch) {
        require(g, work, scratch);
        requireSize(x, input(g), "x", g.input());
        requireSize(w, g.cout() * g.cin() * 9, "weight", "[Cout, Cin, 3, 3] = [" + g.cout() + ", " + g.cin()
                + ", 3, 3]");
        if (b != null) {
            requireSize(b, g.cout(), "bias", "[Cout] = [" + g.cout() + "]");
        }
        requireSize(y, output(g), "y", g.output());
        int pw = g.phaseWeights();
        int bpOff = 2 * pw;
        int bufOff = bpOff + 4 * g.cout();
        sumTaps(g, w.data(), w.offset(), work, 0);
        if (b != null) {
            for (int ph = 0; ph < 4; ph++) {
                System.arraycopy(b.data(), b.offset(), work, bpOff + ph * g.cout(), g.cout());
            }
        }
        int inImage = g.cin() * g.h() * g.w();
        int outImage = g.cout() * 4 * g.h() * g.w();
        int chunk = g.chunk();
        Tensor wp = new Tensor(work, 0, Shape.of(4 * g.cout(), g.cin(), 2, 2));
        Tensor bp = b == null ? null : new Tensor(work, bpOff, Shape.of(4 * g.cout()));
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            Conv2d.Geometry pg = g.phases(nb);
            Tensor xs = new Tensor(x.data(), x.offset() + n0 * inImage, Shape.of(nb, g.cin(), g.h(), g.w()));
            Tensor out = new Tensor(work, bufOff, Shape.of(nb, 4 * g.cout(), g.h() + 1, g.w() + 1));
            Conv2d.forward(pg, xs, wp, bp, out, scratch);
            scatter(g, nb, work, bufOff, y.data(), y.offset() + n0 * outImage);
        }
    }

    /**
     * Accumulates {@code dx += dL/dx}, {@code dw += dL/dw}, {@code db += dL/db} from dy, the output's gradient; any
     * of them may be null (not wanted).
     */
    public static void backward(Geometry g, Tensor dy, Tensor x, Tensor w, Tensor dx, Tensor dw, Tensor db,
                                float[] work, float[] scratch) {
        require(g, work, scratch);
        String weight = "[Cout, Cin, 3, 3] = [" + g.cout() + ", " + g.cin() + ", 3, 3]";
        requireSize(dy, output(g), "dy", g.output());
        requireSize(x, input(g), "x", g.input());
        requireSize(w, g.cout() * g.cin() * 9, "weight", weight);
        if (dx != null) {
            requireSize(dx, input(g), "dx", g.input());
        }
        if (dw != null) {
            requireSize(dw, g.cout() * g.cin() * 9, "dweight", weight);
        }
        if (db != null) {
            requireSize(db, g.cout(), "dbias", "[Cout] = [" + g.cout() + "]");
            Conv2d.biasGradient(g.upsampled(), dy.data(), dy.offset(), db.data(), db.offset());
        }
        if (dx == null && dw == null) {
            return;
        }
        int pw = g.phaseWeights();
        int bufOff = 2 * pw + 4 * g.cout();
        sumTaps(g, w.data(), w.offset(), work, 0);
        Arrays.fill(work, pw, 2 * pw, 0f);
        int inImage = g.cin() * g.h() * g.w();
        int outImage = g.cout() * 4 * g.h() * g.w();
        int chunk = g.chunk();
        Tensor wp = new Tensor(work, 0, Shape.of(4 * g.cout(), g.cin(), 2, 2));
        Tensor dwp = dw == null ? null : new Tensor(work, pw, Shape.of(4 * g.cout(), g.cin(), 2, 2));
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nb = Math.min(chunk, g.n() - n0);
            Conv2d.Geometry pg = g.phases(nb);
            gather(g, nb, dy.data(), dy.offset() + n0 * outImage, work, bufOff);
            Tensor xs = new Tensor(x.data(), x.offset() + n0 * inImage, Shape.of(nb, g.cin(), g.h(), g.w()));
            Tensor dxs = dx == null ? null
                    : new Tensor(dx.data(), dx.offset() + n0 * inImage, Shape.of(nb, g.cin(), g.h(), g.w()));
            Tensor dout = new Tensor(work, bufOff, Shape.of(nb, 4 * g.cout(), g.h() + 1, g.w() + 1));
            Conv2d.backward(pg, dout, xs, wp, dxs, dwp, null, scratch);
        }
        if (dw != null) {
            foldTaps(g, work, pw, dw.data(), dw.offset());
        }
    }

    private static void require(Geometry g, float[] work, float[] scratch) {
        if (work.length < workSize(g)) {
            throw new IllegalArgumentException("upsampled conv2d work holds " + work.length + " floats, needs "
                    + workSize(g) + " for " + g);
        }
        if (scratch.length < scratchSize(g)) {
            throw new IllegalArgumentException("upsampled conv2d scratch holds " + scratch.length + " floats, needs "
                    + scratchSize(g) + " for " + g);
        }
    }

    private static int input(Geometry g) {
        return g.n() * g.cin() * g.h() * g.w();
    }

    private static int output(Geometry g) {
        return g.n() * g.cout() * 4 * g.h() * g.w();
    }

    private static void requireSize(Tensor t, int size, String name, String view) {
        if (t.size() < size) {
            throw new IllegalArgumentException("upsampled conv2d " + name + ": expected " + size + " floats, a view of "
                    + view + ", got " + t.size() + " (" + t.shape() + ")");
        }
    }

    /** Which 2x2 tap (0 or 1) of phase parity a 3x3 tap u belongs to: R[0] = {{0}, {1, 2}}, R[1] = {{0, 1}, {2}}. */
    private static int tap(int parity, int u) {
        return parity == 0 ? (u == 0 ? 0 : 1) : (u == 2 ? 1 : 0);
    }

    /** wp[(2a + b) Cout + o, c, p, q] = the sum of w[o, c, u, v] over u in R[a][p], v in R[b][q], in u, v order. */
    private static void sumTaps(Geometry g, float[] w, int wOff, float[] wp, int wpOff) {
        int cout = g.cout();
        int cin = g.cin();
        Arrays.fill(wp, wpOff, wpOff + g.phaseWeights(), 0f);
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 2; b++) {
                for (int o = 0; o < cout; o++) {
                    for (int c = 0; c < cin; c++) {
                        int src = wOff + (o * cin + c) * 9;
                        int dst = wpOff + (((2 * a + b) * cout + o) * cin + c) * 4;
                        for (int u = 0; u < 3; u++) {
                            for (int v = 0; v < 3; v++) {
                                wp[dst + tap(a, u) * 2 + tap(b, v)] += w[src + u * 3 + v];
                            }
                        }
                    }
                }
            }
        }
    }

    /** dw[o, c, u, v] += the sum over phases (a, b) of dwp[(2a + b) Cout + o, c, tap(a, u), tap(b, v)]. */
    private static void foldTaps(Geometry g, float[] dwp, int dwpOff, float[] dw, int dwOff) {
        int cout = g.cout();
        int cin = g.cin();
        for (int o = 0; o < cout; o++) {
            for (int c = 0; c < cin; c++) {
                int dst = dwOff + (o * cin + c) * 9;
                for (int u = 0; u < 3; u++) {
                    for (int v = 0; v < 3; v++) {
                        float s = 0f;
                        for (int a = 0; a < 2; a++) {
                            for (int b = 0; b < 2; b++) {
                                s += dwp[dwpOff + (((2 * a + b) * cout + o) * cin + c) * 4 + tap(a, u) * 2
                                        + tap(b, v)];
                            }
                        }
                        dw[dst + u * 3 + v] += s;
                    }
                }
            }
        }
    }

    /** y[i, o, 2r + a, 2s + b] = out[i, (2a + b) Cout + o, r + a, s + b] for nb images. */
    private static void scatter(Geometry g, int nb, float[] out, int outOff, float[] y, int yOff) {
        copyPhases(g, nb, out, outOff, y, yOff, true);
    }

    /** The inverse of {@link #scatter} for dy, with zeros at each phase's unused row and column. */
    private static void gather(Geometry g, int nb, float[] dy, int dyOff, float[] out, int outOff) {
        int h = g.h();
        int pw = g.w() + 1;
        int plane = (h + 1) * pw;
        for (int pl = 0; pl < nb * 4 * g.cout(); pl++) {
            int phase = pl / g.cout() % 4;
            int base = outOff + pl * plane;
            // The unused row (h for a = 0, 0 for a = 1) and column (w for b = 0, 0 for b = 1).
            int unusedRow = base + (phase < 2 ? h : 0) * pw;
            Arrays.fill(out, unusedRow, unusedRow + pw, 0f);
            for (int r = 0, col = base + (phase % 2 == 0 ? g.w() : 0); r <= h; r++, col += pw) {
                out[col] = 0f;
            }
        }
        copyPhases(g, nb, out, outOff, dy, dyOff, false);
    }

    /**
     * Copies between an image-layout tensor ({@code [nb, Cout, 2H, 2W]}) and the phases' layout
     * ({@code [nb, 4 Cout, H + 1, W + 1]}, phase (a, b)'s pixel (r, s) at (r + a, s + b)): into the image when
     * {@code toImage}, into the phases otherwise.
     */
    private static void copyPhases(Geometry g, int nb, float[] phases, int pOff, float[] image, int iOff,
                                   boolean toImage) {
        int h = g.h();
        int w = g.w();
        int pw = w + 1;
        int plane = (h + 1) * pw;
        int w2 = 2 * w;
        for (int i = 0; i < nb; i++) {
            for (int o = 0; o < g.cout(); o++) {
                int img = iOff + (i * g.cout() + o) * 4 * h * w;
                for (int ph = 0; ph < 4; ph++) {
                    int a = ph >> 1;
                    int b = ph & 1;
                    int src = pOff + (i * 4 * g.cout() + ph * g.cout() + o) * plane + a * pw + b;
                    for (int r = 0; r < h; r++) {
                        int p0 = src + r * pw;
                        int i0 = img + (2 * r + a) * w2 + b;
                        if (toImage) {
                            for (int s = 0; s < w; s++) {
                                image[i0 + 2 * s] = phases[p0 + s];
                            }
                        } else {
                            for (int s = 0; s < w; s++) {
                                phases[p0 + s] = image[i0 + 2 * s];
                            }
                        }
                    }
                }
            }
        }
    }
}
