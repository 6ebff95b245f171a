package io.sparkdiffusion.nn.unet;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The shape of a denoiser U-Net (the PyTorch twin's constructor arguments). Serializable: objectives and denoisers
 * carry it to Spark executors.
 *
 * @param imgChannels     image channels C (1 for Fashion-MNIST, 3 for CIFAR-10)
 * @param imgResolution   image height and width; divisible by {@code 2^(channelMult.length - 1)}
 * @param modelChannels   channels of the first level; a multiple of 4 (GroupNorm uses {@code min(32, C/4)} groups)
 * @param channelMult     per level, the channel multiplier of {@code modelChannels}; one level per entry
 * @param numResBlocks    residual blocks per encoder level (the decoder has one more per level)
 * @param attnResolutions the resolutions whose levels get self-attention after each residual block
 * @param numClasses      number of class labels, 0 for an unconditional network
 * @param dropout         dropout probability inside residual blocks during training, in {@code [0, 1)}
 * @param labelScale      the value of the hot entry of a label's one-hot vector before the class embedding, > 0: 1 in
 *                        the reference {@code unet-small} (and its PyTorch twin); EDM's SongUNet uses
 *                        {@code sqrt(numClasses)}, so that the class embedding starts as large as the noise embedding
 *                        and Adam moves it that many times faster
 */
public record UNetConfig(int imgChannels, int imgResolution, int modelChannels, int[] channelMult, int numResBlocks,
                         int[] attnResolutions, int numClasses, float dropout, float labelScale) implements Serializable {

    /**
     * The label scale of the reference {@code unet-small} and of models saved before {@code labelScale} existed:
     * plain one-hot labels.
     */
    public static final float PLAIN_LABEL_SCALE = 1f;

    /** A config whose labels enter the class embedding as plain one-hot vectors ({@link #PLAIN_LABEL_SCALE}). */
    public UNetConfig(int imgChannels, int imgResolution, int modelChannels, int[] channelMult, int numResBlocks,
                      int[] attnResolutions, int numClasses, float dropout) {
        this(imgChannels, imgResolution, modelChannels, channelMult, numResBlocks, attnResolutions, numClasses, dropout,
                PLAIN_LABEL_SCALE);
    }

    public UNetConfig {
        if (imgChannels < 1) {
            throw new IllegalArgumentException("imgChannels must be >= 1, got " + imgChannels);
        }
        if (modelChannels < 4 || modelChannels % 4 != 0) {
            throw new IllegalArgumentException("modelChannels must be a positive multiple of 4 (GroupNorm uses min(32, C/4) groups), got "
                    + modelChannels);
        }
        if (channelMult == null || channelMult.length == 0) {
            throw new IllegalArgumentException("channelMult needs at least one level, got " + Arrays.toString(channelMult));
        }
        channelMult = channelMult.clone();
        for (int m : channelMult) {
            if (m < 1) {
                throw new IllegalArgumentException("every channelMult entry must be >= 1, got " + Arrays.toString(channelMult));
            }
        }
        int factor = 1 << (channelMult.length - 1);
        if (imgResolution < factor || imgResolution % factor != 0) {
            throw new IllegalArgumentException("imgResolution must be a positive multiple of 2^(levels - 1) = " + factor + " for "
                    + channelMult.length + " levels, got " + imgResolution);
        }
        if (numResBlocks < 1) {
            throw new IllegalArgumentException("numResBlocks must be >= 1, got " + numResBlocks);
        }
        attnResolutions = attnResolutions == null ? new int[0] : attnResolutions.clone();
        for (int r : attnResolutions) {
            if (!isLevelResolution(r, imgResolution, channelMult.length)) {
                throw new IllegalArgumentException("attnResolutions entry " + r + " is not a level resolution; levels of a "
                        + imgResolution + "x" + imgResolution + " input with " + channelMult.length + " levels have "
                        + Arrays.toString(levelResolutions(imgResolution, channelMult.length)));
            }
        }
        if (numClasses < 0) {
            throw new IllegalArgumentException("numClasses must be >= 0 (0 = unconditional), got " + numClasses);
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        if (!(labelScale > 0f && Float.isFinite(labelScale))) {
            throw new IllegalArgumentException("labelScale must be a finite number > 0 (1 = plain one-hot labels, "
                    + "sqrt(numClasses) as in EDM), got " + labelScale);
        }
    }

    /**
     * The {@code unet-small} preset ({@link UNetPreset#UNET_SMALL}, shared/reference/unet-small.md): model channels
     * 32, channel multipliers [1, 2, 2], 2 residual blocks per level, attention at the lowest resolution
     * ({@code imgResolution / 4}: 7 for 28, 8 for 32), no dropout.
     */
    public static UNetConfig small(int imgChannels, int imgResolution, int numClasses) {
        return UNetPreset.UNET_SMALL.config(imgChannels, imgResolution, numClasses);
    }

    /** This config with another {@code modelChannels} (smaller networks for tests and fixtures). */
    public UNetConfig withModelChannels(int newModelChannels) {
        return new UNetConfig(imgChannels, imgResolution, newModelChannels, channelMult, numResBlocks, attnResolutions,
                numClasses, dropout, labelScale);
    }

    /** This config with another {@code dropout}. */
    public UNetConfig withDropout(float newDropout) {
        return new UNetConfig(imgChannels, imgResolution, modelChannels, channelMult, numResBlocks, attnResolutions,
                numClasses, newDropout, labelScale);
    }

    /** This config with another {@code labelScale}. */
    public UNetConfig withLabelScale(float newLabelScale) {
        return new UNetConfig(imgChannels, imgResolution, modelChannels, channelMult, numResBlocks, attnResolutions,
                numClasses, dropout, newLabelScale);
    }

    /** Floats per image, {@code C * H * W}. */
    public int imageSize() {
        return imgChannels * imgResolution * imgResolution;
    }

    /** The width of the noise/class embedding: {@code 4 * modelChannels}. */
    public int embDim() {
        return 4 * modelChannels;
    }

    /** Whether level resolution {@code resolution} has attention blocks. */
    public boolean hasAttentionAt(int resolution) {
        for (int r : attnResolutions) {
            if (r == resolution) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int[] channelMult() {
        return channelMult.clone();
    }

    @Override
    public int[] attnResolutions() {
        return attnResolutions.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UNetConfig c && imgChannels == c.imgChannels && imgResolution == c.imgResolution
                && modelChannels == c.modelChannels && Arrays.equals(channelMult, c.channelMult)
                && numResBlocks == c.numResBlocks && Arrays.equals(attnResolutions, c.attnResolutions)
                && numClasses == c.numClasses && Float.compare(dropout, c.dropout) == 0
                && Float.compare(labelScale, c.labelScale) == 0;
    }

    @Override
    public int hashCode() {
        int h = Integer.hashCode(imgChannels);
        h = 31 * h + imgResolution;
        h = 31 * h + modelChannels;
        h = 31 * h + Arrays.hashCode(channelMult);
        h = 31 * h + numResBlocks;
        h = 31 * h + Arrays.hashCode(attnResolutions);
        h = 31 * h + numClasses;
        h = 31 * h + Float.hashCode(dropout);
        return 31 * h + Float.hashCode(labelScale);
    }

    @Override
    public String toString() {
        return "UNetConfig[imgChannels=" + imgChannels + ", imgResolution=" + imgResolution + ", modelChannels="
                + modelChannels + ", channelMult=" + Arrays.toString(channelMult) + ", numResBlocks=" + numResBlocks
                + ", attnResolutions=" + Arrays.toString(attnResolutions) + ", numClasses=" + numClasses
                + ", dropout=" + dropout + ", labelScale=" + labelScale + "]";
    }

    private static int[] levelResolutions(int imgResolution, int levels) {
        int[] res = new int[levels];
        for (int l = 0; l < levels; l++) {
            res[l] = imgResolution >> l;
        }
        return res;
    }

    private static boolean isLevelResolution(int r, int imgResolution, int levels) {
        for (int level : levelResolutions(imgResolution, levels)) {
            if (level == r) {
                return true;
            }
        }
        return false;
    }
}
