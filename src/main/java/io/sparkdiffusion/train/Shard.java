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
 * @param groupIds  for {@link SyncMode#GRADIENTS}: the ids of the groups this shard holds, ascending; {@code null} for
 *                  an ungrouped shard
 * @param groupStarts for {@link SyncMode#GRADIENTS}: group {@code groupIds[g]} is images
 *                  {@code [groupStarts[g], groupStarts[g + 1])}, so {@code groupIds.length + 1} offsets from 0 to
 *                  {@code size()}, each group non-empty; {@code null} for an ungrouped shard
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record Shard(float[] images, int[] labels, int imageSize, int[] groupIds, int[] groupStarts)
        implements Serializable {

    /** An ungrouped shard. */
    public Shard(float[] images, int[] labels, int imageSize) {
        this(images, labels, imageSize, null, null);
    }

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
        if ((groupIds == null) != (groupStarts == null)) {
            throw new IllegalArgumentException("groupIds and groupStarts are both set or both null");
        }
        if (groupIds != null) {
            if (groupStarts.length != groupIds.length + 1 || groupStarts[0] != 0
                    || groupStarts[groupIds.length] != images.length / imageSize) {
                throw new IllegalArgumentException("groupStarts must hold " + (groupIds.length + 1) + " offsets from 0 to "
                        + images.length / imageSize + ", got " + Arrays.toString(groupStarts));
            }
            for (int g = 0; g < groupIds.length; g++) {
                if (groupStarts[g + 1] <= groupStarts[g] || (g > 0 && groupIds[g] <= groupIds[g - 1])) {
                    throw new IllegalArgumentException("groups must be non-empty with ascending ids, got ids "
                            + Arrays.toString(groupIds) + " at " + Arrays.toString(groupStarts));
                }
            }
        }
    }

    /** Whether the images are grouped for {@link SyncMode#GRADIENTS}. */
    public boolean grouped() {
        return groupIds != null;
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
        return "Shard[size=" + size() + ", imageSize=" + imageSize + ", labelled=" + labelled()
                + (grouped() ? ", groups=" + groupIds.length : "") + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shard s && imageSize == s.imageSize && Arrays.equals(images, s.images)
                && Arrays.equals(labels, s.labels) && Arrays.equals(groupIds, s.groupIds)
                && Arrays.equals(groupStarts, s.groupStarts);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(images) + Arrays.hashCode(labels)) + Arrays.hashCode(groupIds);
    }
}
