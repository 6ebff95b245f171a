package io.sparkdiffusion.nn.unet;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The named U-Net shapes. Adding a preset is one constant here: the Spark {@code network} Param, its doc, the
 * CLI and the README's configuration reference all list the presets from {@link #values()}.
 *
 * <p>A preset fixes the model channels, the channel multipliers, the residual blocks per level, where attention
 * sits (a resolution, or the lowest level's, {@code imgResolution / 2^(levels - 1)}) and its dropout; the caller
 * may override each.
 *
 * <p>Parameter counts (3x32x32, unconditional; equal to the PyTorch twin's, UNetStructureTest): unet-small
 * 1,624,323; unet-ddpm-cifar 35,746,307.
 */
public enum UNetPreset {
    /** shared/reference/unet-small.md: model channels 32, multipliers [1, 2, 2], 2 residual blocks per level. */
    UNET_SMALL("unet-small", 32, new int[] {1, 2, 2}, 2, 0, 0f, 1_624_323),
    /**
     * The DDPM CIFAR-10 shape (Ho et al. 2020, Appendix B) in this project's U-Net family: model channels 128,
     * multipliers [1, 2, 2, 2], 2 residual blocks per level, attention at 16x16, dropout 0.1; 35,746,307
     * parameters for 3x32x32 unconditional images (35,747,587 with 10 classes).
     */
    UNET_DDPM_CIFAR("unet-ddpm-cifar", 128, new int[] {1, 2, 2, 2}, 2, 16, 0.1f, 35_746_307);

    private final String id;
    private final int modelChannels;
    private final int[] channelMult;
    private final int numResBlocks;
    /** The resolution with attention, or 0 for the lowest level's. */
    private final int attnResolution;
    private final float dropout;
    /** The parameter count at 3x32x32 without classes, stated in docs (checked by UNetPresetTest). */
    private final int parametersRgb32;

    UNetPreset(String id, int modelChannels, int[] channelMult, int numResBlocks, int attnResolution, float dropout,
               int parametersRgb32) {
        this.parametersRgb32 = parametersRgb32;
        this.id = id;
        this.modelChannels = modelChannels;
        this.channelMult = channelMult;
        this.numResBlocks = numResBlocks;
        this.attnResolution = attnResolution;
        this.dropout = dropout;
    }

    /** The name used at the edges (Spark Param, CLI, config). */
    public String id() {
        return id;
    }

    /** One line for docs, e.g. "unet-small (model channels 32, channel multipliers [1, 2, 2], ...)". */
    public String describe() {
        return id + " (model channels " + modelChannels + ", channel multipliers " + Arrays.toString(channelMult) + ", "
                + numResBlocks + " residual blocks per level, attention at "
                + (attnResolution == 0 ? "the lowest resolution" : attnResolution + "x" + attnResolution)
                + (dropout == 0 ? "" : ", dropout " + dropout)
                + String.format(Locale.ROOT, "; %,d parameters at 3x32x32)", parametersRgb32);
    }

    /** This preset for images of {@code imgChannels x imgResolution x imgResolution} and {@code numClasses} classes. */
    public UNetConfig config(int imgChannels, int imgResolution, int numClasses) {
        return config(imgChannels, imgResolution, numClasses, 0, new int[0], 0, new int[0], -1f);
    }

    /**
     * This preset with overrides: {@code modelChannels}, {@code numResBlocks} 0, {@code channelMult},
     * {@code attnResolutions} empty and a negative {@code dropout} keep the preset's (a preset whose attention is
     * at the lowest resolution puts it at the lowest resolution of the resulting levels).
     *
     * @throws IllegalArgumentException naming the setting (UNetConfig's messages)
     */
    public UNetConfig config(int imgChannels, int imgResolution, int numClasses, int modelChannels, int[] channelMult,
                             int numResBlocks, int[] attnResolutions, float dropout) {
        int[] mult = channelMult.length == 0 ? this.channelMult.clone() : channelMult;
        int[] attn = attnResolutions;
        if (attn.length == 0 && attnResolution != 0) {
            attn = new int[] {attnResolution};
        } else if (attn.length == 0) {
            int factor = 1 << (mult.length - 1);
            if (imgResolution % factor != 0) {
                throw new IllegalArgumentException("imageSize " + imgResolution + " must be divisible by 2^(levels - 1) = "
                        + factor + " for channelMult with " + mult.length + " levels");
            }
            attn = new int[] {imgResolution / factor};
        }
        return new UNetConfig(imgChannels, imgResolution, modelChannels == 0 ? this.modelChannels : modelChannels, mult,
                numResBlocks == 0 ? this.numResBlocks : numResBlocks, attn, numClasses, dropout < 0 ? this.dropout : dropout);
    }

    /** Every preset's {@link #describe()}, joined for a Param's doc. */
    public static String describeAll() {
        return Arrays.stream(values()).map(UNetPreset::describe).collect(Collectors.joining("; "));
    }

    /**
     * Parses a preset name such as {@code "unet-small"} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static UNetPreset parse(String name) {
        if (name != null) {
            String key = name.trim().toLowerCase(Locale.ROOT);
            for (UNetPreset p : values()) {
                if (p.id.equals(key)) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException("network must be one of "
                + Arrays.stream(values()).map(UNetPreset::id).collect(Collectors.joining(", ", "[", "]"))
                + ", got '" + name + "'");
    }
}
