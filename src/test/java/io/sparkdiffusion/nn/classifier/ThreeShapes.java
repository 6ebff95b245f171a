package io.sparkdiffusion.nn.classifier;

import java.util.SplittableRandom;

/**
 * A toy labelled dataset of 1 x 8 x 8 images in three classes that a tiny CNN separates: class 0 a bright left
 * half, 1 a bright right half, 2 a bright centre square; plus Gaussian pixel noise.
 */
public final class ThreeShapes {
    public static final int SIZE = 8;
    public static final int PIXELS = SIZE * SIZE;
    public static final int CLASSES = 3;

    private ThreeShapes() {
    }

    /** Image i is of class {@code classOf[i % classOf.length]}; {@code [n * 64]} CHW floats. */
    public static float[] images(int n, long seed, double noise, int... classOf) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[n * PIXELS];
        for (int i = 0; i < n; i++) {
            int label = classOf[i % classOf.length];
            for (int r = 0; r < SIZE; r++) {
                for (int c = 0; c < SIZE; c++) {
                    boolean on = switch (label) {
                        case 0 -> c < 4;
                        case 1 -> c >= 4;
                        default -> r >= 2 && r < 6 && c >= 2 && c < 6;
                    };
                    x[i * PIXELS + r * SIZE + c] = (on ? 0.5f : -0.5f) + (float) (noise * random.nextGaussian());
                }
            }
        }
        return x;
    }

    /** The labels {@link #images} gives n images: {@code classOf[i % classOf.length]}. */
    public static int[] labels(int n, int... classOf) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = classOf[i % classOf.length];
        }
        return y;
    }
}
