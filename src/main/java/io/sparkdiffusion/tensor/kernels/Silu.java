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

    /** y = x sigmoid(x); when {@code sig} is not null it receives sigmoid(x) for {@link #backward}. */
    public static void forward(float[] x, int xOff, float[] y, int yOff, float[] sig, int sigOff, int count) {
        for (int i = 0; i < count; i++) {
            float xi = x[xOff + i];
            float s = sigmoid(xi);
            if (sig != null) {
                sig[sigOff + i] = s;
            }
            y[yOff + i] = xi * s;
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
        for (int i = 0; i < count; i++) {
            float xi = x[xOff + i];
            float s = sigmoid(xi);
            dx[dxOff + i] += dy[dyOff + i] * s * (1f + xi * (1f - s));
        }
    }

    private static float sigmoid(float x) {
        // exp(-x) overflows to +inf for x < -88, giving 1/inf = 0, the right limit.
        return 1f / (1f + (float) Math.exp(-x));
    }
}
