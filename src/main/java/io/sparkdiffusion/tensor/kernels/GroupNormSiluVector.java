package io.sparkdiffusion.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row operations of {@link GroupNormSilu} on the Vector API ({@code jdk.incubator.vector}): sums in vector
 * accumulators (the JIT neither reorders nor vectorizes a scalar float sum) and the sigmoid with fused
 * multiply-adds, reading and writing the tensors at any offset (no copies to offset-0 rows). Loaded only when
 * {@link GroupNormSilu.Engine#VECTOR} is chosen. Tails shorter than a vector run the scalar formulas.
 *
 * <p>The sigmoid is {@link Silu#sigmoid}'s rational tanh with the same coefficients, evaluated with fma: it differs
 * from the scalar one by float rounding only (well inside its documented 3e-7 absolute error).
 */
final class GroupNormSiluVector {
    private GroupNormSiluVector() {
    }

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector: 16 with AVX-512, 8 with AVX2. */
    static final int LANES = SPECIES.length();

    /** The clamp of {@link Silu#sigmoid}'s tanh argument. */
    private static final float TANH_CLAMP = 7.90531110763549805f;

    /** sum_{i < n} a[off + i]. */
    static float sum(float[] a, int off, int n) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + 2 * LANES <= n; i += 2 * LANES) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, a, off + i));
            s1 = s1.add(FloatVector.fromArray(SPECIES, a, off + i + LANES));
        }
        for (; i + LANES <= n; i += LANES) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, a, off + i));
        }
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[off + i];
        }
        return s;
    }

    /** sum_{i < n} (a[off + i] - center)^2. */
    static float sumSquaresCentered(float[] a, int off, float center, int n) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + 2 * LANES <= n; i += 2 * LANES) {
            FloatVector d0 = FloatVector.fromArray(SPECIES, a, off + i).sub(center);
            FloatVector d1 = FloatVector.fromArray(SPECIES, a, off + i + LANES).sub(center);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        for (; i + LANES <= n; i += LANES) {
            FloatVector d0 = FloatVector.fromArray(SPECIES, a, off + i).sub(center);
            s0 = d0.fma(d0, s0);
        }
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float d = a[off + i] - center;
            s += d * d;
        }
        return s;
    }

    /** y[yOff + i] = silu(scale * x[xOff + i] + shift) for i < n. */
    static void affineSilu(float[] x, int xOff, float[] y, int yOff, int n, float scale, float shift) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector a = FloatVector.fromArray(SPECIES, x, xOff + i).fma(scale, shift);
            a.mul(sigmoid(a)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            float a = x[xOff + i] * scale + shift;
            y[yOff + i] = a * Silu.sigmoid(a);
        }
    }

    /**
     * One channel of backward, pass 1: xhat = (x - mu) r, a = gm xhat + bt, s = sigmoid(a),
     * da[daOff + i] = dy s (1 + a (1 - s)); returns {@code out[0] = sum da}, {@code out[1] = sum da xhat}.
     */
    static void siluGrad(float[] dy, int dyOff, float[] x, int xOff, float[] da, int daOff, int n, float mu,
                         float r, float gm, float bt, float[] out) {
        FloatVector sumDa = FloatVector.zero(SPECIES);
        FloatVector sumDaXhat = FloatVector.zero(SPECIES);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector xh = FloatVector.fromArray(SPECIES, x, xOff + i).sub(mu).mul(r);
            FloatVector a = xh.fma(gm, bt);
            FloatVector s = sigmoid(a);
            // dy * s * (1 + a * (1 - s)); 1 - s as one.sub(s), the same rounding as -s + 1 (JDK 17 runs
            // FloatVector.neg() through its allocating Java fallback; see Winograd.transformGradient)
            FloatVector g = FloatVector.fromArray(SPECIES, dy, dyOff + i).mul(s)
                    .mul(a.mul(one.sub(s)).add(1f));
            g.intoArray(da, daOff + i);
            sumDa = sumDa.add(g);
            sumDaXhat = g.fma(xh, sumDaXhat);
        }
        float sd = sumDa.reduceLanes(VectorOperators.ADD);
        float sdx = sumDaXhat.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float xh = (x[xOff + i] - mu) * r;
            float a = gm * xh + bt;
            float s = Silu.sigmoid(a);
            float g = dy[dyOff + i] * s * (1f + a * (1f - s));
            da[daOff + i] = g;
            sd += g;
            sdx += g * xh;
        }
        out[0] = sd;
        out[1] = sdx;
    }

    /**
     * One channel of backward, pass 2: dx[dxOff + i] += ac da[daOff + i] - bx x[xOff + i] + c0; with {@code set}
     * dx[dxOff + i] = 0 + (...), the same bits, without reading dx.
     */
    static void addDx(float[] da, int daOff, float[] x, int xOff, float[] dx, int dxOff, int n, float ac, float bx,
                      float c0, boolean set) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector d = FloatVector.fromArray(SPECIES, da, daOff + i).mul(ac)
                    .sub(FloatVector.fromArray(SPECIES, x, xOff + i).mul(bx)).add(c0);
            FloatVector acc = set ? FloatVector.zero(SPECIES) : FloatVector.fromArray(SPECIES, dx, dxOff + i);
            acc.add(d).intoArray(dx, dxOff + i);
        }
        for (; i < n; i++) {
            dx[dxOff + i] = (set ? 0f : dx[dxOff + i]) + (ac * da[daOff + i] - bx * x[xOff + i] + c0);
        }
    }

    /** {@link Silu#sigmoid} on a vector: 1/2 + tanh(a/2)/2 with the same rational tanh. */
    private static FloatVector sigmoid(FloatVector x) {
        FloatVector h = x.mul(0.5f).max(-TANH_CLAMP).min(TANH_CLAMP);
        FloatVector h2 = h.mul(h);
        FloatVector p = h2.fma(-2.76076847742355e-16f, 2.00018790482477e-13f);
        p = p.fma(h2, FloatVector.broadcast(SPECIES, -8.60467152213735e-11f));
        p = p.fma(h2, FloatVector.broadcast(SPECIES, 5.12229709037114e-08f));
        p = p.fma(h2, FloatVector.broadcast(SPECIES, 1.48572235717979e-05f));
        p = p.fma(h2, FloatVector.broadcast(SPECIES, 6.37261928875436e-04f));
        p = p.fma(h2, FloatVector.broadcast(SPECIES, 4.89352455891786e-03f));
        p = p.mul(h);
        FloatVector q = h2.fma(1.19825839466702e-06f, 1.18534705686654e-04f);
        q = q.fma(h2, FloatVector.broadcast(SPECIES, 2.26843463243900e-03f));
        q = q.fma(h2, FloatVector.broadcast(SPECIES, 4.89352518554385e-03f));
        return p.div(q).fma(0.5f, 0.5f);
    }
}
