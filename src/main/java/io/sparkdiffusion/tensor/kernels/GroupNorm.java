package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Tensor;

/**
 * Group normalization (Wu and He 2018), as torch.nn.GroupNorm.
 *
 * <pre>
 * x, y [N, C, HW]   gamma, beta [C]   G groups of C/G channels, each group g of image n holds
 * M = (C/G)*HW contiguous elements;   mean, rstd [N, G]
 * xhat = (x - mean) * rstd,  rstd = 1 / sqrt(var + eps)  (biased variance)
 * y[n,c,p] = gamma[c] * xhat[n,c,p] + beta[c]
 * backward, per group: dxhat = dy * gamma[c]
 *   dx += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
 *   dgamma[c] += sum_{n,p} dy * xhat      dbeta[c] += sum_{n,p} dy
 * </pre>
 * Every array is a {@link Tensor} view (its data from its offset); the shape is a {@link Geometry}.
 */
public final class GroupNorm {
    private GroupNorm() {
    }

    /**
     * The shape of a group normalization (shared by {@link GroupNormSilu}): x [n, c, hw] in {@code groups} groups of
     * {@code c / groups} channels.
     */
    public record Geometry(int n, int c, int hw, int groups) {
        public Geometry {
            if (n < 1 || c < 1 || hw < 1 || groups < 1 || c % groups != 0) {
                throw new IllegalArgumentException("GroupNorm needs n, c, hw, groups >= 1 and groups dividing c, got n "
                        + n + ", c " + c + ", hw " + hw + ", groups " + groups);
            }
        }

        /** Channels per group, C/G. */
        public int channelsPerGroup() {
            return c / groups;
        }

        /** Elements of one group of one image, M = (C/G)*HW. */
        public int groupSize() {
            return c / groups * hw;
        }

        /** Entries of mean (and of rstd): N*G. */
        public int numGroups() {
            return n * groups;
        }

        /** Throws unless {@code t} (null allowed when {@code optional}) holds at least {@code size} elements. */
        static void require(Tensor t, int size, String what, boolean optional) {
            if (t == null ? !optional : t.size() < size) {
                throw new IllegalArgumentException("GroupNorm " + what + ": expected " + size + " floats, got "
                        + (t == null ? "null" : t.size()));
            }
        }

        /** Throws unless the views of an image tensor, a per-channel tensor and a per-group tensor are large enough. */
        void require(Tensor[] images, Tensor[] channels, Tensor[] stats) {
            for (Tensor t : images) {
                require(t, n * c * hw, "a view of [N, C, HW]", false);
            }
            for (Tensor t : channels) {
                require(t, c, "a view of [C]", false);
            }
            for (Tensor t : stats) {
                require(t, numGroups(), "a view of [N, G]", false);
            }
        }

        /** The array of an optional view (a gradient nobody wants), or null. */
        static float[] data(Tensor t) {
            return t == null ? null : t.data();
        }

        /** The offset of an optional view, 0 when absent. */
        static int offset(Tensor t) {
            return t == null ? 0 : t.offset();
        }

        /** Throws unless each gradient view is null or large enough. */
        void requireGradients(Tensor dx, Tensor dgamma, Tensor dbeta) {
            require(dx, n * c * hw, "dx", true);
            require(dgamma, c, "dgamma", true);
            require(dbeta, c, "dbeta", true);
        }
    }

    /** Writes y, mean [N*G] and rstd [N*G] (saved for backward). */
    public static void forward(Geometry geo, Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor mean, Tensor rstd,
                               float eps) {
        geo.require(new Tensor[] {x, y}, new Tensor[] {gamma, beta}, new Tensor[] {mean, rstd});
        forward(x.data(), x.offset(), gamma.data(), gamma.offset(), beta.data(), beta.offset(), y.data(), y.offset(),
                mean.data(), mean.offset(), rstd.data(), rstd.offset(), geo.n(), geo.c(), geo.hw(), geo.groups(), eps);
    }

    private static void forward(float[] x, int xOff, float[] gamma, int gOff, float[] beta, int bOff,
                                float[] y, int yOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                int n, int c, int hw, int groups, float eps) {
        int cpg = c / groups;
        int m = cpg * hw;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                int base = xOff + (i * c + g * cpg) * hw;
                float mu = Reduce.sum(x, base, m) / m;
                float var = Reduce.sumSquaresCentered(x, base, mu, m) / m;
                float r = (float) (1.0 / Math.sqrt(var + (double) eps));
                mean[meanOff + i * groups + g] = mu;
                rstd[rstdOff + i * groups + g] = r;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    float scale = gamma[gOff + ch] * r;
                    float shift = beta[bOff + ch] - mu * scale;
                    int src = base + cc * hw;
                    int dst = yOff + (i * c + ch) * hw;
                    for (int q = 0; q < hw; q++) {
                        y[dst + q] = x[src + q] * scale + shift;
                    }
                }
            }
        }
    }

    /** Accumulates dx, dgamma, dbeta (each may be null) from dy, x and the mean and rstd of {@link #forward}. */
    public static void backward(Geometry geo, Tensor dy, Tensor x, Tensor mean, Tensor rstd, Tensor gamma, Tensor dx,
                                Tensor dgamma, Tensor dbeta) {
        geo.require(new Tensor[] {dy, x}, new Tensor[] {gamma}, new Tensor[] {mean, rstd});
        geo.requireGradients(dx, dgamma, dbeta);
        backward(dy.data(), dy.offset(), x.data(), x.offset(), mean.data(), mean.offset(), rstd.data(), rstd.offset(),
                gamma.data(), gamma.offset(), Geometry.data(dx), Geometry.offset(dx), Geometry.data(dgamma),
                Geometry.offset(dgamma), Geometry.data(dbeta), Geometry.offset(dbeta), geo.n(), geo.c(), geo.hw(),
                geo.groups());
    }

    private static void backward(float[] dy, int dyOff, float[] x, int xOff, float[] mean, int meanOff,
                                 float[] rstd, int rstdOff, float[] gamma, int gOff,
                                 float[] dx, int dxOff, float[] dgamma, int dgOff, float[] dbeta, int dbOff,
                                 int n, int c, int hw, int groups) {
        int cpg = c / groups;
        int m = cpg * hw;
        float[] sums = new float[2];
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                float mu = mean[meanOff + i * groups + g];
                float r = rstd[rstdOff + i * groups + g];
                // Per channel: sum dy and sum dy*xhat give dbeta, dgamma and the two group means.
                float sumDxhat = 0f;
                float sumDxhatXhat = 0f;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    int off = (i * c + ch) * hw;
                    Reduce.sumAndDotCentered(dy, dyOff + off, x, xOff + off, mu, hw, sums);
                    float sdy = sums[0];
                    float sdyXhat = sums[1] * r;
                    if (dgamma != null) {
                        dgamma[dgOff + ch] += sdyXhat;
                    }
                    if (dbeta != null) {
                        dbeta[dbOff + ch] += sdy;
                    }
                    float gm = gamma[gOff + ch];
                    sumDxhat += gm * sdy;
                    sumDxhatXhat += gm * sdyXhat;
                }
                if (dx == null) {
                    continue;
                }
                float meanDxhat = sumDxhat / m;
                float meanDxhatXhat = sumDxhatXhat / m;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    int off = (i * c + ch) * hw;
                    // dx = r*gamma*dy - r*meanDxhat - r*xhat*meanDxhatXhat, with xhat = (x - mu) r
                    float a = r * gamma[gOff + ch];
                    float bx = r * r * meanDxhatXhat;
                    float c0 = -r * meanDxhat + mu * bx;
                    for (int q = 0; q < hw; q++) {
                        dx[dxOff + off + q] += a * dy[dyOff + off + q] - bx * x[xOff + off + q] + c0;
                    }
                }
            }
        }
    }
}
