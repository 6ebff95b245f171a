package io.sparkdiffusion.nn.unet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkdiffusion.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The presets' shapes against their sources, and unet-ddpm-cifar's parameters against the PyTorch twin. */
class UNetPresetTest {
    /**
     * Printed by the twin: {@code sum(p.numel() for p in UNet(3, model_channels=128, channel_mult=(1, 2, 2, 2),
     * num_res_blocks=2, attn_resolutions=(16,), num_classes=0 / 10, img_resolution=32).parameters())} in
     * shared/reference/torch_unet.py (src/test/python/twin_params.py prints the same).
     */
    private static final int DDPM_CIFAR_PARAMS = 35_746_307;
    private static final int DDPM_CIFAR_PARAMS_10_CLASSES = 35_747_587;

    /** Ho et al. 2020, Appendix B: 128 channels, multipliers [1, 2, 2, 2], 2 blocks, attention at 16x16, dropout 0.1. */
    @Test
    void ddpmCifarIsTheDdpmShape() {
        UNetConfig c = UNetPreset.parse("unet-ddpm-cifar").config(3, 32, 0);
        assertEquals(128, c.modelChannels());
        assertArrayEquals(new int[] {1, 2, 2, 2}, c.channelMult());
        assertEquals(2, c.numResBlocks());
        assertArrayEquals(new int[] {16}, c.attnResolutions());
        assertEquals(0.1f, c.dropout());
        // The overrides still apply, a dropout of 0 included.
        UNetConfig o = UNetPreset.UNET_DDPM_CIFAR.config(3, 32, 0, 64, new int[0], 1, new int[] {8}, 0f);
        assertEquals(64, o.modelChannels());
        assertEquals(1, o.numResBlocks());
        assertArrayEquals(new int[] {8}, o.attnResolutions());
        assertEquals(0f, o.dropout());
        assertEquals(0f, UNetPreset.UNET_SMALL.config(3, 32, 0).dropout());
    }

    @Test
    void ddpmCifarHasTheTwinsParameterCount() {
        assertEquals(DDPM_CIFAR_PARAMS, new UNet(UNetPreset.UNET_DDPM_CIFAR.config(3, 32, 0), 0).numParameters());
        assertEquals(DDPM_CIFAR_PARAMS_10_CLASSES,
                new UNet(UNetPreset.UNET_DDPM_CIFAR.config(3, 32, 10), 0).numParameters());
        assertTrue(UNetPreset.UNET_DDPM_CIFAR.describe().contains("35,746,307 parameters"),
                UNetPreset.UNET_DDPM_CIFAR.describe());
        assertTrue(UNetPreset.UNET_SMALL.describe().contains("1,624,323 parameters"), UNetPreset.UNET_SMALL.describe());
    }

    /** Every tensor's name and shape, in order, from the twin built with the same settings (when torch is here). */
    @Test
    void ddpmCifarHasTheTwinsTensors() throws Exception {
        Path twin = UNetParityTest.twinScript();
        assumeTrue(twin != null, "torch_unet.py not found (set TORCH_UNET or -Dtorch.unet=PATH); skipping");
        assumeTrue(UNetParityTest.pythonHasTorch(), "/usr/bin/python3 cannot import torch; skipping");
        JsonNode out = new ObjectMapper().readTree(run("/usr/bin/python3", "src/test/python/twin_params.py",
                "--twin", twin.toString(), "--img-channels", "3", "--img-resolution", "32", "--model-channels", "128",
                "--channel-mult", "1", "2", "2", "2", "--num-res-blocks", "2", "--attn-resolutions", "16",
                "--num-classes", "10"));
        List<String> expected = new ArrayList<>();
        for (JsonNode t : out.get("tensors")) {
            int[] shape = new int[t.get(1).size()];
            Arrays.setAll(shape, i -> t.get(1).get(i).asInt());
            expected.add(t.get(0).asText() + Arrays.toString(shape));
        }
        UNet net = new UNet(UNetPreset.UNET_DDPM_CIFAR.config(3, 32, 10), 0);
        List<String> actual = net.parameters().parameters().stream()
                .map((Parameter p) -> p.name() + Arrays.toString(p.value().shape().dims())).toList();
        assertEquals(expected, actual);
        assertEquals(out.get("params").asLong(), net.numParameters());
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0, "twin failed: " + out);
        return out;
    }
}
