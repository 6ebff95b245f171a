package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;
import java.util.Arrays;

/**
 * The training images one partition holds, packed into one array.
 *
 * @param images    {@code [size, imageSize]}: image {@code i} is {@code images[i * imageSize, (i + 1) * imageSize)},
 *                  each a CHW image in [-1, 1]
 * @param labels    {@code [size]} class labels in {@code [0, numClasses)}, or {@code null} when the data is unlabelled
 * @param imageSize the number of floats per image, {@code C * H * W}
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record Shard(float[] images, int[] labels, int imageSize) implements Serializable {

    public Shard {
        if (imageSize <= 0) {
            throw new IllegalArgumentException("imageSize must be >= 1, got " + imageSize);
        }
        if (images.length % imageSize != 0) {
            throw new IllegalArgumentException("images holds " + images.length + " floats, not a multiple of imageSize "
                    + imageSize);
        }
        if (labels != null && labels.length != images.length / imageSize) {
            throw new IllegalArgumentException("labels holds " + labels.length + " entries for "
                    + images.length / imageSize + " images");
        }
    }

    /** The number of images. */
    public int size() {
        return images.length / imageSize;
    }

    /** Whether the shard carries class labels. */
    public boolean labelled() {
        return labels != null;
    }

    /**
     * The batch of the given images, in the given order.
     *
     * @param indices image indices in {@code [0, size())}
     */
    public Batch select(int[] indices) {
        float[] x = new float[indices.length * imageSize];
        int[] y = labels == null ? null : new int[indices.length];
        for (int b = 0; b < indices.length; b++) {
            System.arraycopy(images, indices[b] * imageSize, x, b * imageSize, imageSize);
            if (y != null) {
                y[b] = labels[indices[b]];
            }
        }
        return new Batch(x, y, imageSize);
    }

    @Override
    public String toString() {
        return "Shard[size=" + size() + ", imageSize=" + imageSize + ", labelled=" + labelled() + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shard s && imageSize == s.imageSize && Arrays.equals(images, s.images)
                && Arrays.equals(labels, s.labels);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(images) + Arrays.hashCode(labels);
    }
}
