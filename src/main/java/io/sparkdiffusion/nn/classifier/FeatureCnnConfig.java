package io.sparkdiffusion.nn.classifier;

import java.io.Serializable;

/**
 * The shape of a {@link FeatureCnn}.
 *
 * @param imgChannels   image channels C (1 gray, 3 RGB)
 * @param imgResolution image height and width, {@code >= 4}
 * @param channels      channels of the first convolution; the second and third have 2x and 4x as many
 * @param featureDim    width of the penultimate layer: the feature space of the metrics
 * @param numClasses    number of classes the head predicts, {@code >= 2}
 */
public record FeatureCnnConfig(int imgChannels, int imgResolution, int channels, int featureDim, int numClasses)
        implements Serializable {

    public FeatureCnnConfig {
        if (imgChannels < 1) {
            throw new IllegalArgumentException("imgChannels must be >= 1, got " + imgChannels);
        }
        if (imgResolution < 4) {
            throw new IllegalArgumentException("imgResolution must be >= 4 (two stride-2 convolutions), got "
                    + imgResolution);
        }
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, got " + channels);
        }
        if (featureDim < 1) {
            throw new IllegalArgumentException("featureDim must be >= 1, got " + featureDim);
        }
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses must be >= 2 for a classifier, got " + numClasses);
        }
    }

    /** Floats per image, {@code C * H * W}. */
    public int imageSize() {
        return imgChannels * imgResolution * imgResolution;
    }

    /** The side after one 3x3 convolution of stride 2 and padding 1: {@code floor((r - 1) / 2) + 1}. */
    static int halved(int r) {
        return (r - 1) / 2 + 1;
    }

    /** The side of the last feature map, after two stride-2 convolutions. */
    public int lastResolution() {
        return halved(halved(imgResolution));
    }
}
