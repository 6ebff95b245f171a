package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Tensor;

/**
 * Group normalization followed by SiLU in one pass per group, {@code silu(GroupNorm(x))}: the pre-activation of
 * every U-Net ResBlock convolution. Fusing saves the round trip of the normalized tensor through memory (at batch
 * 64 an activation is several MB, beyond cache) and saves nothing activation-sized for backward.
 *
 * <pre>
 * x, y, dy, dx [N, C, HW]   gamma, beta [C]   G groups of C/G channels, each group g of image n holds
 * M = (C/G)*HW contiguous elements;   mean, rstd [N, G]
 * xhat = (x - mean) * rstd,  rstd = 1 / sqrt(var + eps)  (biased variance)
 * a[n,c,p] = gamma[c] * xhat[n,c,p] + beta[c],   s = sigmoid(a),   y = a * s
 * backward, per group, recomputing xhat, a and s from x and the saved mean and rstd:
 *   da = dy * s * (1 + a * (1 - s))
 *   dbeta[c] += sum_{n,p} da      dgamma[c] += sum_{n,p} da * xhat      dxhat = da * gamma[c]
 *   dx += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
 * </pre>
 * A group of one image (4 channels of 28x28 in unet-small: 12.5 KB) fits in L1, so only the first pass over x
 * (and over dy in backward) reaches memory; backward keeps the group's da in {@link Scratch} between its two passes.
 *
 * <p>Two {@link Engine}s compute the rows (one channel of one image). VECTOR, {@link GroupNormSiluVector} on the
 * Vector API: vector sums, an fma sigmoid, any offset. SCALAR, the loops here: JDK 17's C2 vectorizes their
 * elementwise loops only on arrays at offset 0 (measured: the backward of a [64, 32, 784] tensor took 15 ms with
 * the silu' loop at an offset, 4.5 ms without), so rows are copied to and from scratch rows at offset 0, cheap
 * from L1; its sums stay scalar. On [64, 32, 784] with cold caches (AVX-512), forward + backward took 10 ms unfused
 * (GroupNorm then Silu), 7.8 ms fused SCALAR and 3.9 ms fused VECTOR. The system property
 * {@value #ENGINE_PROPERTY} picks the engine.
 *
 * <p>Arrays are {@link Tensor} views and the shape is a {@link GroupNorm.Geometry}, as for {@link GroupNorm}.
 */
public final class GroupNormSilu {
    private GroupNormSilu() {
    }

    /** The system property that picks the {@link Engine}: {@code auto} (default), {@code vector} or {@code scalar}. */
    public static final String ENGINE_PROPERTY = "sparkdiffusion.groupNormSilu";

    /**
     * What computes the rows. {@code auto} takes VECTOR when the module {@code jdk.incubator.vector} is loaded
     * ({@code --add-modules=jdk.incubator.vector}) and vectors hold at least 8 floats, SCALAR otherwise; the choice
     * is logged once.
     */
    enum Engine {
        SCALAR, VECTOR;

        static final Engine DEFAULT = VectorChoice.useVector(ENGINE_PROPERTY, "fused GroupNorm+SiLU", "scalar",
                "scalar loops on offset-0 rows") ? VECTOR : SCALAR;

        static boolean vectorModuleLoaded() {
            return VectorChoice.moduleLoaded();
        }
    }

    /** What runs the fused op: {@code "vector:N lanes"} or {@code "scalar"} (see {@link Engine}). */
    public static String implementation() {
        return Engine.DEFAULT == Engine.VECTOR ? "vector:" + GroupNormSiluVector.LANES + " lanes" : "scalar";
    }

    /**
     * Reusable working rows: three of HW floats and one of M = (C/G)*HW (the group's da, kept between the two
     * passes of backward). One instance serves every call whose shape {@link #fits}; not thread-safe.
     */
    public static final class Scratch {
        private final float[] rowX;  // [HW]
        private final float[] rowD;  // [HW]
        private final float[] rowT;  // [HW]
        private final float[] group; // [M]
        private final float[] sums = new float[2];

        /** Sized for a channel of {@code hw} values and a group of {@code groupSize} = (C/G)*HW values. */
        public Scratch(int hw, int groupSize) {
            if (hw < 1 || groupSize < hw) {
                throw new IllegalArgumentException("GroupNormSilu.Scratch: need hw >= 1 and groupSize >= hw, got hw "
                        + hw + ", groupSize " + groupSize);
            }
            rowX = new float[hw];
            rowD = new float[hw];
            rowT = new float[hw];
            group = new float[groupSize];
        }

        /** True when this scratch is large enough for x [N, c, hw] in {@code groups} groups. */
        public boolean fits(int c, int hw, int groups) {
            return rowX.length >= hw && group.length >= c / groups * hw;
        }

        /** Floats in each of the three channel rows. */
        public int rowLength() {
            return rowX.length;
        }

        /** Floats in the group row. */
        public int groupLength() {
            return group.length;
        }

        void require(GroupNorm.Geometry g) {
            int c = g.c();
            int hw = g.hw();
            int groups = g.groups();
            if (!fits(c, hw, groups)) {
                throw new IllegalArgumentException("GroupNormSilu scratch holds rows of " + rowX.length
                        + " and a group of " + group.length + " floats; [N, " + c + ", " + hw + "] in " + groups
                        + " groups needs " + hw + " and " + c / groups * hw);
            }
        }
    }

    /**
     * Where the fused op writes y (forward) or reads dy (backward) when that is not a dense {@code [N, C, HW]}
     * tensor: pixel {@code (n0 + k, c, i, j)} of an image range starting at n0 at
     * {@code offset + k*imageStride + c*channelStride + i*rowStride + j}, rows of {@code width} floats. The padded
     * input of {@link ShiftedConv} is one (each row followed by its padding, channels of all images one below the
     * other), so a convolution after this op reads it without a copy ({@link NormSiluConv}).
     */
    record Planes(float[] data, int offset, int imageStride, int channelStride, int rowStride, int width) {
        Planes {
            if (width < 1 || rowStride < width) {
                throw new IllegalArgumentException("GroupNormSilu.Planes: need 1 <= width <= rowStride, got width "
                        + width + ", rowStride " + rowStride);
            }
        }

        /** A dense [N, C, HW] tensor's images from the one at offset. */
        static Planes dense(float[] data, int offset, int c, int hw) {
            return new Planes(data, offset, c * hw, hw, hw, hw);
        }

        /** Image k's channel c: its first float. */
        int at(int k, int c) {
            return offset + k * imageStride + c * channelStride;
        }
    }

    /** Writes y, mean [N*G] and rstd [N*G] (saved for backward). */
    public static void forward(GroupNorm.Geometry geo, Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor mean,
                               Tensor rstd, float eps, Scratch scratch) {
        forward(Engine.DEFAULT, geo, x, gamma, beta, y, mean, rstd, eps, scratch);
    }

    static void forward(Engine engine, GroupNorm.Geometry geo, Tensor x, Tensor gamma, Tensor beta, Tensor y,
                        Tensor mean, Tensor rstd, float eps, Scratch scratch) {
        geo.require(new Tensor[] {x, y}, new Tensor[] {gamma, beta}, new Tensor[] {mean, rstd});
        scratch.require(geo);
        forward(engine, x.data(), x.offset(), gamma.data(), gamma.offset(), beta.data(), beta.offset(),
                Planes.dense(y.data(), y.offset(), geo.c(), geo.hw()), mean.data(), mean.offset(), rstd.data(),
                rstd.offset(), 0, geo.n(), geo.c(), geo.hw(), geo.groups(), eps, scratch);
    }

    /**
     * {@link #forward} of images n0 .. n0+nb-1 only, y written into {@code out} (which holds image n0 first, rows
     * of the image's width): the same bits as the dense forward's. Writes those images' mean and rstd.
     */
    static void forwardImages(GroupNorm.Geometry geo, Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor rstd,
                              float eps, Scratch scratch, int n0, int nb, Planes out) {
        forward(Engine.DEFAULT, x.data(), x.offset(), gamma.data(), gamma.offset(), beta.data(), beta.offset(), out,
                mean.data(), mean.offset(), rstd.data(), rstd.offset(), n0, nb, geo.c(), geo.hw(), geo.groups(), eps,
                scratch);
    }

    private static void forward(Engine engine, float[] x, int xOff, float[] gamma, int gOff, float[] beta, int bOff,
                                Planes out, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                int n0, int nb, int c, int hw, int groups, float eps, Scratch scratch) {
        boolean vector = engine == Engine.VECTOR;
        boolean dense = out.width() == hw;
        int cpg = c / groups;
        int m = cpg * hw;
        for (int i = n0; i < n0 + nb; i++) {
            for (int g = 0; g < groups; g++) {
                int base = xOff + (i * c + g * cpg) * hw;
                // The first sum reads the group from memory; the second and the output pass find it in L1.
                float mu = (vector ? GroupNormSiluVector.sum(x, base, m) : Reduce.sum(x, base, m)) / m;
                float var = (vector ? GroupNormSiluVector.sumSquaresCentered(x, base, mu, m)
                        : Reduce.sumSquaresCentered(x, base, mu, m)) / m;
                float r = (float) (1.0 / Math.sqrt(var + (double) eps));
                mean[meanOff + i * groups + g] = mu;
                rstd[rstdOff + i * groups + g] = r;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    float scale = gamma[gOff + ch] * r;
                    float shift = beta[bOff + ch] - mu * scale;
                    int src = base + cc * hw;
                    int dst = out.at(i - n0, ch);
                    // Rows that are not contiguous go through rowT: an elementwise pass, so the same bits.
                    float[] y = dense ? out.data() : scratch.rowT;
                    int yOff = dense ? dst : 0;
                    if (vector) {
                        GroupNormSiluVector.affineSilu(x, src, y, yOff, hw, scale, shift);
                    } else {
                        affineSilu(x, src, y, yOff, hw, scale, shift, scratch.rowX);
                    }
                    if (!dense) {
                        scatterRows(vector, y, out, i - n0, ch, hw);
                    }
                }
            }
        }
    }

    /** Accumulates dx, dgamma, dbeta (each may be null) from dy, x and the mean and rstd of {@link #forward}. */
    public static void backward(GroupNorm.Geometry geo, Tensor dy, Tensor x, Tensor mean, Tensor rstd, Tensor gamma,
                                Tensor beta, Tensor dx, Tensor dgamma, Tensor dbeta, Scratch scratch) {
        backward(Engine.DEFAULT, geo, dy, x, mean, rstd, gamma, beta, dx, dgamma, dbeta, scratch);
    }

    static void backward(Engine engine, GroupNorm.Geometry geo, Tensor dy, Tensor x, Tensor mean, Tensor rstd,
                         Tensor gamma, Tensor beta, Tensor dx, Tensor dgamma, Tensor dbeta, Scratch scratch) {
        geo.require(new Tensor[] {dy, x}, new Tensor[] {gamma, beta}, new Tensor[] {mean, rstd});
        geo.requireGradients(dx, dgamma, dbeta);
        scratch.require(geo);
        backward(engine, Planes.dense(dy.data(), dy.offset(), geo.c(), geo.hw()), x, mean, rstd, gamma, beta, dx,
                false, dgamma, dbeta, 0, geo.n(), geo.c(), geo.hw(), geo.groups(), scratch);
    }

    /**
     * {@link #backward} of images n0 .. n0+nb-1 only, dy read from {@code dy} (which holds image n0 first): the
     * same bits as the dense backward's, and called over consecutive ranges from image 0 the same sums of dgamma
     * and dbeta. With {@code setDx} the images' dx is set (the same bits as adding to zeros) without being read.
     */
    static void backwardImages(GroupNorm.Geometry geo, Planes dy, Tensor x, Tensor mean, Tensor rstd, Tensor gamma,
                               Tensor beta, Tensor dx, boolean setDx, Tensor dgamma, Tensor dbeta, Scratch scratch,
                               int n0, int nb) {
        backward(Engine.DEFAULT, dy, x, mean, rstd, gamma, beta, dx, setDx, dgamma, dbeta, n0, nb, geo.c(), geo.hw(),
                geo.groups(), scratch);
    }

    private static void backward(Engine engine, Planes dy, Tensor x, Tensor mean, Tensor rstd, Tensor gamma,
                                 Tensor beta, Tensor dx, boolean setDx, Tensor dgamma, Tensor dbeta, int n0, int nb,
                                 int c, int hw, int groups, Scratch scratch) {
        backward(engine, dy, x.data(), x.offset(), mean.data(), mean.offset(), rstd.data(), rstd.offset(),
                gamma.data(), gamma.offset(), beta.data(), beta.offset(), GroupNorm.Geometry.data(dx),
                GroupNorm.Geometry.offset(dx), setDx, GroupNorm.Geometry.data(dgamma), GroupNorm.Geometry.offset(dgamma),
                GroupNorm.Geometry.data(dbeta), GroupNorm.Geometry.offset(dbeta), n0, nb, c, hw, groups, scratch);
    }

    private static void backward(Engine engine, Planes dyPlanes, float[] x, int xOff, float[] mean,
                                 int meanOff, float[] rstd, int rstdOff, float[] gamma, int gOff, float[] beta,
                                 int bOff, float[] dx, int dxOff, boolean setDx, float[] dgamma, int dgOff,
                                 float[] dbeta, int dbOff,
                                 int n0, int nb, int c, int hw, int groups, Scratch scratch) {
        boolean vector = engine == Engine.VECTOR;
        boolean dense = dyPlanes.width() == hw;
        float[] groupDa = scratch.group;
        float[] sums = scratch.sums;
        int cpg = c / groups;
        int m = cpg * hw;
        for (int i = n0; i < n0 + nb; i++) {
            for (int g = 0; g < groups; g++) {
                float mu = mean[meanOff + i * groups + g];
                float r = rstd[rstdOff + i * groups + g];
                // Pass 1, per channel: da from the recomputed forward, its sums for dbeta, dgamma and the group.
                float sumDxhat = 0f;
                float sumDxhatXhat = 0f;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    int off = (i * c + ch) * hw;
                    float gm = gamma[gOff + ch];
                    // Rows that are not contiguous are gathered into rowT first: the sums see the same sequence.
                    float[] dy = dense ? dyPlanes.data() : gatherRows(vector, dyPlanes, i - n0, ch, hw, scratch.rowT);
                    int dyOff = dense ? dyPlanes.at(i - n0, ch) : 0;
                    if (vector) {
                        GroupNormSiluVector.siluGrad(dy, dyOff, x, xOff + off, groupDa, cc * hw, hw, mu, r, gm,
                                beta[bOff + ch], sums);
                    } else {
                        siluGrad(dy, dyOff, x, xOff + off, groupDa, cc * hw, hw, mu, r, gm, beta[bOff + ch],
                                sums, scratch);
                    }
                    if (dgamma != null) {
                        dgamma[dgOff + ch] += sums[1];
                    }
                    if (dbeta != null) {
                        dbeta[dbOff + ch] += sums[0];
                    }
                    sumDxhat += gm * sums[0];
                    sumDxhatXhat += gm * sums[1];
                }
                if (dx == null) {
                    continue;
                }
                // Pass 2, per channel, from cache: dx = r*gamma*da - r*meanDxhat - r*xhat*meanDxhatXhat, with
                // xhat = (x - mu) r folded into bx and c0.
                float bx = r * r * (sumDxhatXhat / m);
                float c0 = -r * (sumDxhat / m) + mu * bx;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    int off = (i * c + ch) * hw;
                    float ac = r * gamma[gOff + ch];
                    if (vector) {
                        GroupNormSiluVector.addDx(groupDa, cc * hw, x, xOff + off, dx, dxOff + off, hw, ac, bx, c0,
                                setDx);
                    } else {
                        addDx(groupDa, cc * hw, x, xOff + off, dx, dxOff + off, hw, ac, bx, c0, setDx, scratch);
                    }
                }
            }
        }
    }

    // Rows of 7 to 28 floats: on the vector engine through VectorRows (whole 16-lane vectors for rows of 16 or
    // more), a System.arraycopy per row otherwise (Rows; docs/engine.md, "Row copies in whole vectors").

    /** Copies image k's channel c of planes into row (hw floats, contiguous); returns row. */
    private static float[] gatherRows(boolean vector, Planes planes, int k, int c, int hw, float[] row) {
        int w = planes.width();
        Rows.copy(vector, planes.data(), planes.at(k, c), planes.rowStride(), row, 0, w, hw / w, w);
        return row;
    }

    /** Copies row (hw floats, contiguous) into image k's channel c of planes. */
    private static void scatterRows(boolean vector, float[] row, Planes planes, int k, int c, int hw) {
        int w = planes.width();
        Rows.copy(vector, row, 0, w, planes.data(), planes.at(k, c), planes.rowStride(), hw / w, w);
    }

    // ---------------------------------------------------------------- SCALAR rows (copied to offset 0 for C2)

    /** y[yOff + i] = silu(scale * x[xOff + i] + shift) for i < n, through {@code row}. */
    private static void affineSilu(float[] x, int xOff, float[] y, int yOff, int n, float scale, float shift,
                                   float[] row) {
        System.arraycopy(x, xOff, row, 0, n);
        for (int q = 0; q < n; q++) {
            float a = row[q] * scale + shift;
            row[q] = a * Silu.sigmoid(a);
        }
        System.arraycopy(row, 0, y, yOff, n);
    }

    /** As {@link GroupNormSiluVector#siluGrad}: da[daOff + i] = dy silu'(a); out = {sum da, sum da xhat}. */
    private static void siluGrad(float[] dy, int dyOff, float[] x, int xOff, float[] da, int daOff, int n, float mu,
                                 float r, float gm, float bt, float[] out, Scratch scratch) {
        float[] xhat = scratch.rowX;
        float[] d = scratch.rowD;
        System.arraycopy(x, xOff, xhat, 0, n);
        System.arraycopy(dy, dyOff, d, 0, n);
        for (int q = 0; q < n; q++) {
            float xh = (xhat[q] - mu) * r;
            float a = gm * xh + bt;
            float s = Silu.sigmoid(a);
            xhat[q] = xh;
            d[q] = d[q] * s * (1f + a * (1f - s));
        }
        out[0] = Reduce.sum(d, 0, n);
        out[1] = Reduce.dot(d, 0, xhat, 0, n);
        System.arraycopy(d, 0, da, daOff, n);
    }

    /** As {@link GroupNormSiluVector#addDx}: dx[dxOff + i] += ac da[daOff + i] - bx x[xOff + i] + c0 (= with set). */
    private static void addDx(float[] da, int daOff, float[] x, int xOff, float[] dx, int dxOff, int n, float ac,
                              float bx, float c0, boolean set, Scratch scratch) {
        float[] xr = scratch.rowX;
        float[] d = scratch.rowD;
        float[] acc = scratch.rowT;
        System.arraycopy(x, xOff, xr, 0, n);
        System.arraycopy(da, daOff, d, 0, n);
        if (set) {
            java.util.Arrays.fill(acc, 0, n, 0f);
        } else {
            System.arraycopy(dx, dxOff, acc, 0, n);
        }
        for (int q = 0; q < n; q++) {
            acc[q] += ac * d[q] - bx * xr[q] + c0;
        }
        System.arraycopy(acc, 0, dx, dxOff, n);
    }
}
