package io.sparkdiffusion.tensor.kernels;

/**
 * SiLU (swish): {@code y = x * sigmoid(x)}, elementwise over {@code count} values.
 *
 * <pre>
 * x, y, sig [count]        sig = sigmoid(x) (optionally saved by forward for backward)
 * dx += dy * sig * (1 + x * (1 - sig))
 * </pre>
 */
public final class Silu {
    private Silu() {
    }

    /** Elements per block of {@link #sigmoidBlock}. */
    private static final int BLOCK = 1024;

    /** y = x sigmoid(x); when {@code sig} is not null it receives sigmoid(x) for {@link #backward}. */
    public static void forward(float[] x, int xOff, float[] y, int yOff, float[] sig, int sigOff, int count) {
        float[] s = new float[Math.min(BLOCK, count)];
        for (int b = 0; b < count; b += BLOCK) {
            int m = Math.min(BLOCK, count - b);
            sigmoidBlock(x, xOff + b, s, m);
            if (sig != null) {
                System.arraycopy(s, 0, sig, sigOff + b, m);
            }
            int xb = xOff + b;
            int yb = yOff + b;
            for (int i = 0; i < m; i++) {
                y[yb + i] = x[xb + i] * s[i];
            }
        }
    }

    /** dx += dy * d silu/dx; {@code sig} from forward, or null to recompute it. */
    public static void backward(float[] dy, int dyOff, float[] x, int xOff, float[] sig, int sigOff,
                                float[] dx, int dxOff, int count) {
        if (sig != null) {
            for (int i = 0; i < count; i++) {
                float s = sig[sigOff + i];
                dx[dxOff + i] += dy[dyOff + i] * s * (1f + x[xOff + i] * (1f - s));
            }
            return;
        }
        float[] s = new float[Math.min(BLOCK, count)];
        for (int b = 0; b < count; b += BLOCK) {
            int m = Math.min(BLOCK, count - b);
            sigmoidBlock(x, xOff + b, s, m);
            for (int i = 0; i < m; i++) {
                float xi = x[xOff + b + i];
                dx[dxOff + b + i] += dy[dyOff + b + i] * s[i] * (1f + xi * (1f - s[i]));
            }
        }
    }

    /**
     * s[0, m) = sigmoid(x[xOff, xOff + m)). The loop runs on a copy at offset 0: JDK 17's C2 does not vectorize
     * this loop body when the arrays carry a runtime offset (measured 8.7 ms vs 1.4 ms for 1.6M values).
     */
    private static void sigmoidBlock(float[] x, int xOff, float[] s, int m) {
        System.arraycopy(x, xOff, s, 0, m);
        for (int i = 0; i < m; i++) {
            s[i] = sigmoid(s[i]);
        }
    }

    /** Beyond +-TANH_CLAMP the rational tanh below is within float rounding of +-1. */
    private static final float TANH_CLAMP = 7.90531110763549805f;

    /**
     * sigmoid(x) = 1/2 + tanh(x/2)/2, with tanh as the odd/even rational minimax fit Eigen (and so TensorFlow)
     * uses for float: |error| < 3e-7 absolute over all x (measured 2.3e-7, a few ulp near 1; the relative error
     * grows in the far negative tail, where the value is below 1e-4). Branch-free float arithmetic, so C2
     * vectorizes the loop: about 12x faster than {@code Math.exp}, which dominated the elementwise cost of a
     * U-Net step. NaN propagates.
     */
    static float sigmoid(float x) {
        float h = Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, 0.5f * x));
        float h2 = h * h;
        float p = h2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
        p = h2 * p + -8.60467152213735e-11f;
        p = h2 * p + 5.12229709037114e-08f;
        p = h2 * p + 1.48572235717979e-05f;
        p = h2 * p + 6.37261928875436e-04f;
        p = h2 * p + 4.89352455891786e-03f;
        p = h * p;
        float q = h2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
        q = h2 * q + 2.26843463243900e-03f;
        q = h2 * q + 4.89352518554385e-03f;
        return 0.5f + 0.5f * (p / q);
    }
}
