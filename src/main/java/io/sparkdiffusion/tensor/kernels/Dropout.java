package io.sparkdiffusion.tensor.kernels;

import java.util.SplittableRandom;

/**
 * Inverted dropout with a seeded mask: element i is kept when the i-th draw of
 * {@code new SplittableRandom(seed).nextDouble()} is {@code >= p}.
 *
 * <pre>
 * x, y [count]    y = keep ? x / (1 - p) : 0     dx += keep ? dy / (1 - p) : 0
 * </pre>
 *
 * <p>Backward regenerates the mask from the seed instead of storing it.
 */
public final class Dropout {
    private Dropout() {
    }

    public static void forward(float[] x, int xOff, float[] y, int yOff, int count, float p, long seed) {
        checkP(p);
        SplittableRandom rng = new SplittableRandom(seed);
        float keepScale = 1f / (1f - p);
        for (int i = 0; i < count; i++) {
            y[yOff + i] = rng.nextDouble() >= p ? x[xOff + i] * keepScale : 0f;
        }
    }

    public static void backward(float[] dy, int dyOff, float[] dx, int dxOff, int count, float p, long seed) {
        checkP(p);
        SplittableRandom rng = new SplittableRandom(seed);
        float keepScale = 1f / (1f - p);
        for (int i = 0; i < count; i++) {
            if (rng.nextDouble() >= p) {
                dx[dxOff + i] += dy[dyOff + i] * keepScale;
            }
        }
    }

    private static void checkP(float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
    }
}
