package io.sparkdiffusion.tensor.kernels;

/**
 * Sums with several independent accumulators: the JIT does not reorder floating-point additions, so a single
 * accumulator is bound by add latency; four chains keep the adder busy and also cut rounding error.
 */
final class Reduce {
    private Reduce() {
    }

    /** sum_{i < n} a[off + i]. */
    static float sum(float[] a, int off, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[off + i];
            s1 += a[off + i + 1];
            s2 += a[off + i + 2];
            s3 += a[off + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[off + i];
        }
        return (s0 + s1) + (s2 + s3);
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

    /** sum_{i < n} a[aOff + i] * (b[bOff + i] - center): centering first avoids cancellation. */
    static float dotCentered(float[] a, int aOff, float[] b, int bOff, float center, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[aOff + i] * (b[bOff + i] - center);
            s1 += a[aOff + i + 1] * (b[bOff + i + 1] - center);
            s2 += a[aOff + i + 2] * (b[bOff + i + 2] - center);
            s3 += a[aOff + i + 3] * (b[bOff + i + 3] - center);
        }
        for (; i < n; i++) {
            s0 += a[aOff + i] * (b[bOff + i] - center);
        }
        return (s0 + s1) + (s2 + s3);
    }
}
