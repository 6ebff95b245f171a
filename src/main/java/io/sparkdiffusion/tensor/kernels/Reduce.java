package io.sparkdiffusion.tensor.kernels;

/**
 * Sums with several independent accumulators: the JIT does not reorder (or vectorize) floating-point reductions,
 * so a single accumulator is bound by add latency; eight chains cover the latency of both FP add ports and also
 * cut rounding error.
 */
final class Reduce {
    private Reduce() {
    }

    /** sum_{i < n} a[off + i]. */
    static float sum(float[] a, int off, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int i = 0;
        for (; i + 7 < n; i += 8) {
            int j = off + i;
            s0 += a[j];
            s1 += a[j + 1];
            s2 += a[j + 2];
            s3 += a[j + 3];
            s4 += a[j + 4];
            s5 += a[j + 5];
            s6 += a[j + 6];
            s7 += a[j + 7];
        }
        for (; i < n; i++) {
            s0 += a[off + i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** sum_{i < n} (a[off + i] - center)^2. */
    static float sumSquaresCentered(float[] a, int off, float center, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int i = 0;
        for (; i + 7 < n; i += 8) {
            int j = off + i;
            float d0 = a[j] - center;
            float d1 = a[j + 1] - center;
            float d2 = a[j + 2] - center;
            float d3 = a[j + 3] - center;
            float d4 = a[j + 4] - center;
            float d5 = a[j + 5] - center;
            float d6 = a[j + 6] - center;
            float d7 = a[j + 7] - center;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
            s4 += d4 * d4;
            s5 += d5 * d5;
            s6 += d6 * d6;
            s7 += d7 * d7;
        }
        for (; i < n; i++) {
            float d = a[off + i] - center;
            s0 += d * d;
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * Both {@code sum_i a[aOff + i]} and {@code sum_i a[aOff + i] * (b[bOff + i] - center)} in one pass over a,
     * into {@code out[0]} and {@code out[1]}.
     */
    static void sumAndDotCentered(float[] a, int aOff, float[] b, int bOff, float center, int n, float[] out) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        float t0 = 0f, t1 = 0f, t2 = 0f, t3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            int j = aOff + i;
            int k = bOff + i;
            float a0 = a[j];
            float a1 = a[j + 1];
            float a2 = a[j + 2];
            float a3 = a[j + 3];
            s0 += a0;
            s1 += a1;
            s2 += a2;
            s3 += a3;
            t0 += a0 * (b[k] - center);
            t1 += a1 * (b[k + 1] - center);
            t2 += a2 * (b[k + 2] - center);
            t3 += a3 * (b[k + 3] - center);
        }
        for (; i < n; i++) {
            s0 += a[aOff + i];
            t0 += a[aOff + i] * (b[bOff + i] - center);
        }
        out[0] = (s0 + s1) + (s2 + s3);
        out[1] = (t0 + t1) + (t2 + t3);
    }

    /** sum_{i < n} a[aOff + i] * b[bOff + i]. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[aOff + i] * b[bOff + i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
