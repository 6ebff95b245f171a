package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.unet.UNetConfig;

import java.io.Serializable;
/**
 * A serializable copy of a {@link UNetConfig}, so that objectives and denoisers can be shipped to executors.
 * Fields as in {@link UNetConfig}.
 */
public record NetworkSpec(int imgChannels, int imgResolution, int modelChannels, int[] channelMult, int numResBlocks,
                          int[] attnResolutions, int numClasses, float dropout) implements Serializable {

    public NetworkSpec {
        channelMult = channelMult.clone();
        attnResolutions = attnResolutions.clone();
        // Validates every field now, on the driver, with UNetConfig's messages.
        new UNetConfig(imgChannels, imgResolution, modelChannels, channelMult, numResBlocks, attnResolutions,
                numClasses, dropout);
    }

    public static NetworkSpec of(UNetConfig c) {
        return new NetworkSpec(c.imgChannels(), c.imgResolution(), c.modelChannels(), c.channelMult(),
                c.numResBlocks(), c.attnResolutions(), c.numClasses(), c.dropout());
    }

    public UNetConfig toConfig() {
        return new UNetConfig(imgChannels, imgResolution, modelChannels, channelMult, numResBlocks, attnResolutions,
                numClasses, dropout);
    }

    /** Floats per image, {@code C * H * W}. */
    public int imageSize() {
        return imgChannels * imgResolution * imgResolution;
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
        return o instanceof NetworkSpec s && toConfig().equals(s.toConfig());
    }

    @Override
    public int hashCode() {
        return toConfig().hashCode();
    }

    @Override
    public String toString() {
        return "NetworkSpec" + toConfig().toString().substring("UNetConfig".length());
    }
}
