package io.sparkdiffusion.tensor.kernels;

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
 * (and over dy in backward) reaches memory. Every elementwise loop runs on {@link Scratch} rows at offset 0: JDK
 * 17's C2 does not vectorize these loops when an array carries a runtime offset (measured: the backward of a
 * [64, 32, 784] tensor took 15 ms with the silu' loop at an offset, 4.5 ms without), so data is copied in and
 * out with {@code System.arraycopy}, which is cheap from L1.
 *
 * <p>Two {@link Engine}s compute the rows: SCALAR, the loops here (auto-vectorized by C2 where they can be), and
 * VECTOR, {@link GroupNormSiluVector} on the Vector API, which also vectorizes the sums and needs no copies (about
 * 3x faster per row where vectors hold 16 floats). The system property {@value #ENGINE_PROPERTY} picks one.
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

        static final Engine DEFAULT = choose();

        static boolean vectorModuleLoaded() {
            return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        }

        private static Engine choose() {
            String mode = System.getProperty(ENGINE_PROPERTY, "auto").trim().toLowerCase(java.util.Locale.ROOT);
            boolean loaded = vectorModuleLoaded();
            Engine engine;
            String why;
            switch (mode) {
                case "scalar" -> {
                    engine = SCALAR;
                    why = "scalar loops on offset-0 rows";
                }
                case "vector" -> {
                    if (!loaded) {
                        throw new IllegalStateException(ENGINE_PROPERTY + "=vector needs the JVM option "
                                + "--add-modules=jdk.incubator.vector, which this JVM was started without");
                    }
                    engine = VECTOR;
                    why = "Vector API, " + GroupNormSiluVector.LANES + " floats per vector";
                }
                case "auto" -> {
                    if (!loaded) {
                        engine = SCALAR;
                        why = "scalar loops; start the JVM with --add-modules=jdk.incubator.vector for the vector"
                                + " kernels";
                    } else if (GroupNormSiluVector.LANES < 8) {
                        engine = SCALAR;
                        why = "scalar loops; vectors here hold only " + GroupNormSiluVector.LANES + " floats";
                    } else {
                        engine = VECTOR;
                        why = "Vector API, " + GroupNormSiluVector.LANES + " floats per vector";
                    }
                }
                default -> throw new IllegalArgumentException(
                        ENGINE_PROPERTY + " must be one of auto, vector, scalar; got '" + mode + "'");
            }
            System.getLogger(GroupNormSilu.class.getName()).log(System.Logger.Level.INFO,
                    "spark-diffusion fused GroupNorm+SiLU: " + engine.name().toLowerCase(java.util.Locale.ROOT)
                            + " (" + why + ") (" + ENGINE_PROPERTY + "=" + mode + ")");
            return engine;
        }
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

        void require(int c, int hw, int groups) {
            if (!fits(c, hw, groups)) {
                throw new IllegalArgumentException("GroupNormSilu scratch holds rows of " + rowX.length
                        + " and a group of " + group.length + " floats; [N, " + c + ", " + hw + "] in " + groups
                        + " groups needs " + hw + " and " + c / groups * hw);
            }
        }
    }

    /** Writes y, mean [N*G] and rstd [N*G] (saved for backward). */
    public static void forward(float[] x, int xOff, float[] gamma, int gOff, float[] beta, int bOff,
                               float[] y, int yOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                               int n, int c, int hw, int groups, float eps, Scratch scratch) {
        forward(Engine.DEFAULT, x, xOff, gamma, gOff, beta, bOff, y, yOff, mean, meanOff, rstd, rstdOff, n, c, hw,
                groups, eps, scratch);
    }

    static void forward(Engine engine, float[] x, int xOff, float[] gamma, int gOff, float[] beta, int bOff,
                        float[] y, int yOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                        int n, int c, int hw, int groups, float eps, Scratch scratch) {
        scratch.require(c, hw, groups);
        if (engine == Engine.VECTOR) {
            forwardVector(x, xOff, gamma, gOff, beta, bOff, y, yOff, mean, meanOff, rstd, rstdOff, n, c, hw, groups,
                    eps);
            return;
        }
        float[] row = scratch.rowX;
        int cpg = c / groups;
        int m = cpg * hw;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                int base = xOff + (i * c + g * cpg) * hw;
                // The first sum reads the group from memory; the second and the output pass find it in L1.
                float mu = Reduce.sum(x, base, m) / m;
                float var = Reduce.sumSquaresCentered(x, base, mu, m) / m;
                float r = (float) (1.0 / Math.sqrt(var + (double) eps));
                mean[meanOff + i * groups + g] = mu;
                rstd[rstdOff + i * groups + g] = r;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    float scale = gamma[gOff + ch] * r;
                    System.arraycopy(x, base + cc * hw, row, 0, hw);
                    affineSilu(row, hw, scale, beta[bOff + ch] - mu * scale);
                    System.arraycopy(row, 0, y, yOff + (i * c + ch) * hw, hw);
                }
            }
        }
    }

    private static void forwardVector(float[] x, int xOff, float[] gamma, int gOff, float[] beta, int bOff,
                                      float[] y, int yOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                      int n, int c, int hw, int groups, float eps) {
        int cpg = c / groups;
        int m = cpg * hw;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                int base = xOff + (i * c + g * cpg) * hw;
                float mu = GroupNormSiluVector.sum(x, base, m) / m;
                float var = GroupNormSiluVector.sumSquaresCentered(x, base, mu, m) / m;
                float r = (float) (1.0 / Math.sqrt(var + (double) eps));
                mean[meanOff + i * groups + g] = mu;
                rstd[rstdOff + i * groups + g] = r;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    float scale = gamma[gOff + ch] * r;
                    GroupNormSiluVector.affineSilu(x, base + cc * hw, y, yOff + (i * c + ch) * hw, hw, scale,
                            beta[bOff + ch] - mu * scale);
                }
            }
        }
    }

    /** v[0, hw) = silu(scale * v + shift). */
    private static void affineSilu(float[] v, int hw, float scale, float shift) {
        for (int q = 0; q < hw; q++) {
            float a = v[q] * scale + shift;
            v[q] = a * Silu.sigmoid(a);
        }
    }

    /** Accumulates dx, dgamma, dbeta (each may be null) from dy, x and the mean and rstd of {@link #forward}. */
    public static void backward(float[] dy, int dyOff, float[] x, int xOff, float[] mean, int meanOff,
                                float[] rstd, int rstdOff, float[] gamma, int gOff, float[] beta, int bOff,
                                float[] dx, int dxOff, float[] dgamma, int dgOff, float[] dbeta, int dbOff,
                                int n, int c, int hw, int groups, Scratch scratch) {
        backward(Engine.DEFAULT, dy, dyOff, x, xOff, mean, meanOff, rstd, rstdOff, gamma, gOff, beta, bOff, dx, dxOff,
                dgamma, dgOff, dbeta, dbOff, n, c, hw, groups, scratch);
    }

    static void backward(Engine engine, float[] dy, int dyOff, float[] x, int xOff, float[] mean, int meanOff,
                         float[] rstd, int rstdOff, float[] gamma, int gOff, float[] beta, int bOff,
                         float[] dx, int dxOff, float[] dgamma, int dgOff, float[] dbeta, int dbOff,
                         int n, int c, int hw, int groups, Scratch scratch) {
        scratch.require(c, hw, groups);
        if (engine == Engine.VECTOR) {
            backwardVector(dy, dyOff, x, xOff, mean, meanOff, rstd, rstdOff, gamma, gOff, beta, bOff, dx, dxOff,
                    dgamma, dgOff, dbeta, dbOff, n, c, hw, groups, scratch.group);
            return;
        }
        float[] xhat = scratch.rowX;
        float[] da = scratch.rowD;
        float[] row = scratch.rowT;
        int cpg = c / groups;
        int m = cpg * hw;
        for (int i = 0; i < n; i++) {
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
                    System.arraycopy(x, xOff + off, xhat, 0, hw);
                    System.arraycopy(dy, dyOff + off, da, 0, hw);
                    siluGrad(xhat, da, hw, mu, r, gm, beta[bOff + ch]);
                    float sda = Reduce.sum(da, 0, hw);
                    float sdaXhat = Reduce.dot(da, 0, xhat, 0, hw);
                    if (dgamma != null) {
                        dgamma[dgOff + ch] += sdaXhat;
                    }
                    if (dbeta != null) {
                        dbeta[dbOff + ch] += sda;
                    }
                    sumDxhat += gm * sda;
                    sumDxhatXhat += gm * sdaXhat;
                    if (dx != null) {
                        System.arraycopy(da, 0, scratch.group, cc * hw, hw);
                    }
                }
                if (dx == null) {
                    continue;
                }
                // Pass 2, per channel, from L1: dx = r*gamma*da - r*meanDxhat - r*xhat*meanDxhatXhat.
                float meanDxhat = sumDxhat / m;
                float meanDxhatXhat = sumDxhatXhat / m;
                float bx = r * r * meanDxhatXhat;
                float c0 = -r * meanDxhat + mu * bx;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    int off = (i * c + ch) * hw;
                    System.arraycopy(x, xOff + off, xhat, 0, hw);
                    System.arraycopy(scratch.group, cc * hw, da, 0, hw);
                    System.arraycopy(dx, dxOff + off, row, 0, hw);
                    addDx(row, da, xhat, hw, r * gamma[gOff + ch], bx, c0);
                    System.arraycopy(row, 0, dx, dxOff + off, hw);
                }
            }
        }
    }

    /** backward on {@link GroupNormSiluVector}; {@code groupDa} [M] keeps the group's da between the passes. */
    private static void backwardVector(float[] dy, int dyOff, float[] x, int xOff, float[] mean, int meanOff,
                                       float[] rstd, int rstdOff, float[] gamma, int gOff, float[] beta, int bOff,
                                       float[] dx, int dxOff, float[] dgamma, int dgOff, float[] dbeta, int dbOff,
                                       int n, int c, int hw, int groups, float[] groupDa) {
        int cpg = c / groups;
        int m = cpg * hw;
        float[] sums = new float[2];
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                float mu = mean[meanOff + i * groups + g];
                float r = rstd[rstdOff + i * groups + g];
                float sumDxhat = 0f;
                float sumDxhatXhat = 0f;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    int off = (i * c + ch) * hw;
                    float gm = gamma[gOff + ch];
                    GroupNormSiluVector.siluGrad(dy, dyOff + off, x, xOff + off, groupDa, cc * hw, hw, mu, r, gm,
                            beta[bOff + ch], sums);
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
                float bx = r * r * (sumDxhatXhat / m);
                float c0 = -r * (sumDxhat / m) + mu * bx;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    int off = (i * c + ch) * hw;
                    GroupNormSiluVector.addDx(groupDa, cc * hw, x, xOff + off, dx, dxOff + off, hw,
                            r * gamma[gOff + ch], bx, c0);
                }
            }
        }
    }

    /**
     * With x in {@code xhat} and dy in {@code da}: xhat = (x - mu) r, a = gm xhat + bt, s = sigmoid(a),
     * da = dy s (1 + a (1 - s)).
     */
    private static void siluGrad(float[] xhat, float[] da, int hw, float mu, float r, float gm, float bt) {
        for (int q = 0; q < hw; q++) {
            float xh = (xhat[q] - mu) * r;
            float a = gm * xh + bt;
            float s = Silu.sigmoid(a);
            xhat[q] = xh;
            da[q] = da[q] * s * (1f + a * (1f - s));
        }
    }

    /** dx[0, hw) += ac * da - bx * x + c0 (x raw, not normalized: bx and c0 carry the centring). */
    private static void addDx(float[] dx, float[] da, float[] x, int hw, float ac, float bx, float c0) {
        for (int q = 0; q < hw; q++) {
            dx[q] += ac * da[q] - bx * x[q] + c0;
        }
    }
}
