package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.unet.UNetConfig;

/** Small U-Nets for fast tests. */
public final class TinyNets {
    private TinyNets() {
    }

    /** 1 x 8 x 8 images, model channels 4, two levels, attention at 4 x 4, {@code numClasses} classes. */
    public static UNetConfig tiny(int numClasses) {
        return new UNetConfig(1, 8, 4, new int[] {1, 2}, 1, new int[] {4}, numClasses, 0f);
    }
}
