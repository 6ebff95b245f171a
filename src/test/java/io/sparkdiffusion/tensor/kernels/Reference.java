package io.sparkdiffusion.tensor.kernels;

import java.util.SplittableRandom;

/**
 * Naive double-precision forward and backward of every kernel, written straight from the shape legends with
 * no tricks (no im2col, no GEMM, no fused formulas), so they can be checked against finite differences and then
 * serve as the expected values for the fast float kernels.
 *
 * <p>Kept in the test tree: nothing at runtime needs them, and being outside {@code src/main} they cannot be
 * used by accident on a hot path. Backward methods return fresh gradient arrays (no accumulation).
 */
public final class Reference {
    private Reference() {
    }

    public static double[] conv2dForward(Conv2d.Geometry g, double[] x, double[] w, double[] b) {
        int ho = g.ho();
        int wo = g.wo();
        double[] y = new double[g.n() * g.cout() * ho * wo];
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cout(); o++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double s = b == null ? 0.0 : b[o];
                        for (int c = 0; c < g.cin(); c++) {
                            for (int u = 0; u < g.kh(); u++) {
                                for (int v = 0; v < g.kw(); v++) {
                                    int iy = i * g.stride() - g.pad() + u;
                                    int ix = j * g.stride() - g.pad() + v;
                                    if (iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w()) {
                                        s += w[((o * g.cin() + c) * g.kh() + u) * g.kw() + v]
                                                * x[((n * g.cin() + c) * g.h() + iy) * g.w() + ix];
                                    }
                                }
                            }
                        }
                        y[((n * g.cout() + o) * ho + i) * wo + j] = s;
                    }
                }
            }
        }
        return y;
    }

    /** {dx, dw, db}. */
    public static double[][] conv2dBackward(Conv2d.Geometry g, double[] dy, double[] x, double[] w) {
        int ho = g.ho();
        int wo = g.wo();
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        double[] db = new double[g.cout()];
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cout(); o++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double d = dy[((n * g.cout() + o) * ho + i) * wo + j];
                        db[o] += d;
                        for (int c = 0; c < g.cin(); c++) {
                            for (int u = 0; u < g.kh(); u++) {
                                for (int v = 0; v < g.kw(); v++) {
                                    int iy = i * g.stride() - g.pad() + u;
                                    int ix = j * g.stride() - g.pad() + v;
                                    if (iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w()) {
                                        int wi = ((o * g.cin() + c) * g.kh() + u) * g.kw() + v;
                                        int xi = ((n * g.cin() + c) * g.h() + iy) * g.w() + ix;
                                        dw[wi] += d * x[xi];
                                        dx[xi] += d * w[wi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {dx, dw, db};
    }

    public static double[] linearForward(double[] x, double[] w, double[] b, int n, int in, int out) {
        double[] y = new double[n * out];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0.0 : b[o];
                for (int k = 0; k < in; k++) {
                    s += x[i * in + k] * w[o * in + k];
                }
                y[i * out + o] = s;
            }
        }
        return y;
    }

    /** {dx, dw, db}. */
    public static double[][] linearBackward(double[] dy, double[] x, double[] w, int n, int in, int out) {
        double[] dx = new double[n * in];
        double[] dw = new double[out * in];
        double[] db = new double[out];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                double d = dy[i * out + o];
                db[o] += d;
                for (int k = 0; k < in; k++) {
                    dx[i * in + k] += d * w[o * in + k];
                    dw[o * in + k] += d * x[i * in + k];
                }
            }
        }
        return new double[][] {dx, dw, db};
    }

    public static double[] groupNormForward(double[] x, double[] gamma, double[] beta, int n, int c, int hw,
                                            int groups, double eps) {
        double[] y = new double[x.length];
        int cpg = c / groups;
        int m = cpg * hw;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                int base = (i * c + g * cpg) * hw;
                double mean = 0.0;
                for (int p = 0; p < m; p++) {
                    mean += x[base + p];
                }
                mean /= m;
                double var = 0.0;
                for (int p = 0; p < m; p++) {
                    var += (x[base + p] - mean) * (x[base + p] - mean);
                }
                var /= m;
                double rstd = 1.0 / Math.sqrt(var + eps);
                for (int p = 0; p < m; p++) {
                    int ch = g * cpg + p / hw;
                    y[base + p] = (x[base + p] - mean) * rstd * gamma[ch] + beta[ch];
                }
            }
        }
        return y;
    }

    /**
     * {dx, dgamma, dbeta}, from the chain rule through mean and variance written out term by term
     * (d xhat_p / d x_q = rstd (delta_pq - 1/m - xhat_p xhat_q / m)), O(m^2) per group.
     */
    public static double[][] groupNormBackward(double[] dy, double[] x, double[] gamma, int n, int c, int hw,
                                               int groups, double eps) {
        double[] dx = new double[x.length];
        double[] dgamma = new double[c];
        double[] dbeta = new double[c];
        int cpg = c / groups;
        int m = cpg * hw;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                int base = (i * c + g * cpg) * hw;
                double mean = 0.0;
                for (int p = 0; p < m; p++) {
                    mean += x[base + p];
                }
                mean /= m;
                double var = 0.0;
                for (int p = 0; p < m; p++) {
                    var += (x[base + p] - mean) * (x[base + p] - mean);
                }
                var /= m;
                double rstd = 1.0 / Math.sqrt(var + eps);
                double[] xhat = new double[m];
                for (int p = 0; p < m; p++) {
                    xhat[p] = (x[base + p] - mean) * rstd;
                    int ch = g * cpg + p / hw;
                    dgamma[ch] += dy[base + p] * xhat[p];
                    dbeta[ch] += dy[base + p];
                }
                for (int q = 0; q < m; q++) {
                    double s = 0.0;
                    for (int p = 0; p < m; p++) {
                        double dxhat = dy[base + p] * gamma[g * cpg + p / hw];
                        double jac = rstd * ((p == q ? 1.0 : 0.0) - 1.0 / m - xhat[p] * xhat[q] / m);
                        s += dxhat * jac;
                    }
                    dx[base + q] = s;
                }
            }
        }
        return new double[][] {dx, dgamma, dbeta};
    }

    public static double[] siluForward(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] / (1.0 + Math.exp(-x[i]));
        }
        return y;
    }

    public static double[] siluBackward(double[] dy, double[] x) {
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double s = 1.0 / (1.0 + Math.exp(-x[i]));
            dx[i] = dy[i] * (s + x[i] * s * (1.0 - s));
        }
        return dx;
    }

    /** silu(groupNorm(x)), composed from the two references above. */
    public static double[] groupNormSiluForward(double[] x, double[] gamma, double[] beta, int n, int c, int hw,
                                                int groups, double eps) {
        return siluForward(groupNormForward(x, gamma, beta, n, c, hw, groups, eps));
    }

    /** {dx, dgamma, dbeta} of silu(groupNorm(x)): the chain rule through the two references above. */
    public static double[][] groupNormSiluBackward(double[] dy, double[] x, double[] gamma, double[] beta, int n,
                                                   int c, int hw, int groups, double eps) {
        double[] a = groupNormForward(x, gamma, beta, n, c, hw, groups, eps);
        return groupNormBackward(siluBackward(dy, a), x, gamma, n, c, hw, groups, eps);
    }

    /** Softmax probabilities [N, P, P] of the attention scores. */
    private static double[] attentionProbs(double[] qkv, int n, int c, int p) {
        double[] probs = new double[n * p * p];
        double scale = 1.0 / Math.sqrt(c);
        for (int i = 0; i < n; i++) {
            int qo = i * 3 * c * p;
            int ko = qo + c * p;
            for (int q = 0; q < p; q++) {
                double[] s = new double[p];
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < p; k++) {
                    for (int cc = 0; cc < c; cc++) {
                        s[k] += qkv[qo + cc * p + q] * qkv[ko + cc * p + k];
                    }
                    s[k] *= scale;
                    max = Math.max(max, s[k]);
                }
                double sum = 0.0;
                for (int k = 0; k < p; k++) {
                    s[k] = Math.exp(s[k] - max);
                    sum += s[k];
                }
                for (int k = 0; k < p; k++) {
                    probs[(i * p + q) * p + k] = s[k] / sum;
                }
            }
        }
        return probs;
    }

    public static double[] attentionForward(double[] qkv, int n, int c, int p) {
        double[] probs = attentionProbs(qkv, n, c, p);
        double[] out = new double[n * c * p];
        for (int i = 0; i < n; i++) {
            int vo = i * 3 * c * p + 2 * c * p;
            for (int cc = 0; cc < c; cc++) {
                for (int q = 0; q < p; q++) {
                    double s = 0.0;
                    for (int k = 0; k < p; k++) {
                        s += probs[(i * p + q) * p + k] * qkv[vo + cc * p + k];
                    }
                    out[(i * c + cc) * p + q] = s;
                }
            }
        }
        return out;
    }

    /** d qkv, through the softmax Jacobian dP_qk/dS_ql = P_qk (delta_kl - P_ql) written out in full. */
    public static double[] attentionBackward(double[] dOut, double[] qkv, int n, int c, int p) {
        double[] probs = attentionProbs(qkv, n, c, p);
        double[] d = new double[qkv.length];
        double scale = 1.0 / Math.sqrt(c);
        for (int i = 0; i < n; i++) {
            int qo = i * 3 * c * p;
            int ko = qo + c * p;
            int vo = ko + c * p;
            for (int q = 0; q < p; q++) {
                double[] dP = new double[p];
                for (int k = 0; k < p; k++) {
                    for (int cc = 0; cc < c; cc++) {
                        double g = dOut[(i * c + cc) * p + q];
                        dP[k] += g * qkv[vo + cc * p + k];
                        d[vo + cc * p + k] += g * probs[(i * p + q) * p + k];
                    }
                }
                for (int l = 0; l < p; l++) {
                    double dS = 0.0;
                    for (int k = 0; k < p; k++) {
                        double pk = probs[(i * p + q) * p + k];
                        double pl = probs[(i * p + q) * p + l];
                        dS += dP[k] * pk * ((k == l ? 1.0 : 0.0) - pl);
                    }
                    for (int cc = 0; cc < c; cc++) {
                        d[qo + cc * p + q] += dS * scale * qkv[ko + cc * p + l];
                        d[ko + cc * p + l] += dS * scale * qkv[qo + cc * p + q];
                    }
                }
            }
        }
        return d;
    }

    public static double[] upsampleForward(double[] x, int planes, int h, int w) {
        double[] y = new double[planes * 4 * h * w];
        for (int pl = 0; pl < planes; pl++) {
            for (int i = 0; i < 2 * h; i++) {
                for (int j = 0; j < 2 * w; j++) {
                    y[(pl * 2 * h + i) * 2 * w + j] = x[(pl * h + i / 2) * w + j / 2];
                }
            }
        }
        return y;
    }

    public static double[] upsampleBackward(double[] dy, int planes, int h, int w) {
        double[] dx = new double[planes * h * w];
        for (int pl = 0; pl < planes; pl++) {
            for (int i = 0; i < 2 * h; i++) {
                for (int j = 0; j < 2 * w; j++) {
                    dx[(pl * h + i / 2) * w + j / 2] += dy[(pl * 2 * h + i) * 2 * w + j];
                }
            }
        }
        return dx;
    }

    public static double[] concatForward(double[] a, double[] b, int n, int ca, int cb, int hw) {
        double[] y = new double[n * (ca + cb) * hw];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < ca + cb; c++) {
                for (int p = 0; p < hw; p++) {
                    y[(i * (ca + cb) + c) * hw + p] = c < ca ? a[(i * ca + c) * hw + p] : b[(i * cb + c - ca) * hw + p];
                }
            }
        }
        return y;
    }

    /** {da, db}. */
    public static double[][] concatBackward(double[] dy, int n, int ca, int cb, int hw) {
        double[] da = new double[n * ca * hw];
        double[] db = new double[n * cb * hw];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < ca + cb; c++) {
                for (int p = 0; p < hw; p++) {
                    double d = dy[(i * (ca + cb) + c) * hw + p];
                    if (c < ca) {
                        da[(i * ca + c) * hw + p] = d;
                    } else {
                        db[(i * cb + c - ca) * hw + p] = d;
                    }
                }
            }
        }
        return new double[][] {da, db};
    }

    public static double[] addPerChannelForward(double[] x, double[] e, int n, int c, int hw) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] + e[i / hw];
        }
        return y;
    }

    /** {dx, de}. */
    public static double[][] addPerChannelBackward(double[] dy, int n, int c, int hw) {
        double[] de = new double[n * c];
        for (int i = 0; i < dy.length; i++) {
            de[i / hw] += dy[i];
        }
        return new double[][] {dy.clone(), de};
    }

    public static double mseForward(double[] y, double[] t, double[] w, int n) {
        int m = y.length / n;
        double s = 0.0;
        for (int i = 0; i < y.length; i++) {
            s += (w == null ? 1.0 : w[i / m]) * (y[i] - t[i]) * (y[i] - t[i]);
        }
        return s / y.length;
    }

    public static double[] mseBackward(double dLoss, double[] y, double[] t, double[] w, int n) {
        int m = y.length / n;
        double[] dy = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            dy[i] = dLoss * 2.0 * (w == null ? 1.0 : w[i / m]) * (y[i] - t[i]) / y.length;
        }
        return dy;
    }

    /** The kept-element mask of {@link Dropout}: draw i of {@code new SplittableRandom(seed)} is >= p. */
    public static boolean[] dropoutMask(int count, double p, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        boolean[] keep = new boolean[count];
        for (int i = 0; i < count; i++) {
            keep[i] = rng.nextDouble() >= p;
        }
        return keep;
    }

    public static double[] dropoutForward(double[] x, double p, long seed) {
        boolean[] keep = dropoutMask(x.length, p, seed);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = keep[i] ? x[i] / (1.0 - p) : 0.0;
        }
        return y;
    }

    public static double[] dropoutBackward(double[] dy, double p, long seed) {
        return dropoutForward(dy, p, seed);
    }
}
