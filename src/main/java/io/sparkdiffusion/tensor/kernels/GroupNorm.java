package io.sparkdiffusion.tensor.kernels;

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
 */
public final class GroupNorm {
    private GroupNorm() {
    }

    /** Writes y, mean [N*G] and rstd [N*G] (saved for backward). */
    public static void forward(float[] x, int xOff, float[] gamma, int gOff, float[] beta, int bOff,
                               float[] y, int yOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                               int n, int c, int hw, int groups, float eps) {
        int cpg = c / groups;
        int m = cpg * hw;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                int base = xOff + (i * c + g * cpg) * hw;
                float mu = Reduce.sum(x, base, m) / m;
                float v0 = 0f, v1 = 0f;
                int p = 0;
                for (; p + 1 < m; p += 2) {
                    float d0 = x[base + p] - mu;
                    float d1 = x[base + p + 1] - mu;
                    v0 += d0 * d0;
                    v1 += d1 * d1;
                }
                for (; p < m; p++) {
                    float d = x[base + p] - mu;
                    v0 += d * d;
                }
                float r = (float) (1.0 / Math.sqrt((v0 + v1) / m + (double) eps));
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

    /** Accumulates dx, dgamma, dbeta (each may be null). */
    public static void backward(float[] dy, int dyOff, float[] x, int xOff, float[] mean, int meanOff,
                                float[] rstd, int rstdOff, float[] gamma, int gOff,
                                float[] dx, int dxOff, float[] dgamma, int dgOff, float[] dbeta, int dbOff,
                                int n, int c, int hw, int groups) {
        int cpg = c / groups;
        int m = cpg * hw;
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
                    float sdy = Reduce.sum(dy, dyOff + off, hw);
                    float sdyXhat = Reduce.dotCentered(dy, dyOff + off, x, xOff + off, mu, hw) * r;
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
