package io.sparkdiffusion.train;

import java.util.SplittableRandom;

/** Seeded random shards for tests of the training machinery. */
public final class ToyData {
    private ToyData() {
    }

    /** {@code size} images of {@code imageSize} floats uniform in [-1, 1], labels {@code i % numClasses} or none. */
    public static Shard shard(int size, int imageSize, int numClasses, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] images = new float[size * imageSize];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) (2 * random.nextDouble() - 1);
        }
        int[] labels = null;
        if (numClasses > 0) {
            labels = new int[size];
            for (int i = 0; i < size; i++) {
                labels[i] = i % numClasses;
            }
        }
        return new Shard(images, labels, imageSize);
    }
}
