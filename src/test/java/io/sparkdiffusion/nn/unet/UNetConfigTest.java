package io.sparkdiffusion.nn.unet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UNetConfigTest {

    @Test
    void smallPresetIsTheReferenceNetwork() {
        UNetConfig c = UNetConfig.small(1, 28, 10);
        assertEquals(32, c.modelChannels());
        assertArrayEquals(new int[] {1, 2, 2}, c.channelMult());
        assertEquals(2, c.numResBlocks());
        assertArrayEquals(new int[] {7}, c.attnResolutions());
        assertEquals(128, c.embDim());
        assertEquals(0f, c.dropout());
        assertEquals(1f, c.labelScale());
        assertArrayEquals(new int[] {8}, UNetConfig.small(3, 32, 0).attnResolutions());
    }

    @Test
    void valueSemanticsAndDefensiveCopies() {
        int[] mult = {1, 2};
        UNetConfig a = new UNetConfig(1, 8, 8, mult, 1, new int[] {4}, 0, 0f);
        mult[0] = 5;
        assertArrayEquals(new int[] {1, 2}, a.channelMult());
        assertEquals(a, new UNetConfig(1, 8, 8, new int[] {1, 2}, 1, new int[] {4}, 0, 0f));
        assertEquals(a.hashCode(), new UNetConfig(1, 8, 8, new int[] {1, 2}, 1, new int[] {4}, 0, 0f).hashCode());
        assertEquals(a, a.withLabelScale(1f));
        assertTrue(!a.equals(a.withLabelScale(2f)), "labelScale is part of the value");
        assertEquals(2f, a.withLabelScale(2f).withDropout(0.1f).withModelChannels(16).labelScale());
    }

    @Test
    void rejectsBadSettingsNamingThem() {
        assertMessage("imgChannels must be >= 1, got 0", () -> new UNetConfig(0, 28, 32, new int[] {1}, 2, null, 0, 0f));
        assertMessage("modelChannels must be a positive multiple of 4",
                () -> new UNetConfig(1, 28, 30, new int[] {1}, 2, null, 0, 0f));
        assertMessage("imgResolution must be a positive multiple of 2^(levels - 1) = 4",
                () -> new UNetConfig(1, 30, 32, new int[] {1, 2, 2}, 2, null, 0, 0f));
        assertMessage("attnResolutions entry 5 is not a level resolution",
                () -> new UNetConfig(1, 28, 32, new int[] {1, 2, 2}, 2, new int[] {5}, 0, 0f));
        assertMessage("numClasses must be >= 0", () -> new UNetConfig(1, 28, 32, new int[] {1}, 2, null, -1, 0f));
        assertMessage("dropout must be in [0, 1), got 1.0", () -> new UNetConfig(1, 28, 32, new int[] {1}, 2, null, 0, 1f));
        assertMessage("numResBlocks must be >= 1, got 0", () -> new UNetConfig(1, 28, 32, new int[] {1}, 0, null, 0, 0f));
        assertMessage("labelScale must be a finite number > 0 (1 = plain one-hot labels, sqrt(numClasses) as in EDM), got 0.0",
                () -> new UNetConfig(1, 28, 32, new int[] {1}, 2, null, 10, 0f, 0f));
        assertMessage("labelScale must be a finite number > 0", () -> UNetConfig.small(1, 28, 10).withLabelScale(Float.NaN));
        assertMessage("channelMult needs at least one level", () -> new UNetConfig(1, 28, 32, new int[0], 2, null, 0, 0f));
    }

    private static void assertMessage(String expectedStart, org.junit.jupiter.api.function.Executable bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad);
        assertTrue(e.getMessage().startsWith(expectedStart), "message: " + e.getMessage());
    }
}
