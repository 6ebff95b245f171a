package io.sparkdiffusion.nn.unet;

import io.sparkdiffusion.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The network's parameters: counts and names against the PyTorch twin, seeded initialisation. */
class UNetStructureTest {

    /**
     * Counts printed by the twin, {@code sum(p.numel() for p in UNet(...).parameters())} in
     * shared/reference/torch_unet.py (its {"metric": "params"} line for 1x28x28; the 3x32x32 numbers with
     * {@code UNet(3, attn_resolutions=(8,), img_resolution=32, num_classes=...)}).
     */
    @Test
    void parameterCountsEqualTheTwins() {
        assertEquals(1_623_169, new UNet(UNetConfig.small(1, 28, 0), 0).numParameters());
        assertEquals(1_623_489, new UNet(UNetConfig.small(1, 28, 10), 0).numParameters());
        assertEquals(1_624_323, new UNet(UNetConfig.small(3, 32, 0), 0).numParameters());
        assertEquals(1_624_643, new UNet(UNetConfig.small(3, 32, 10), 0).numParameters());
        // model_channels=8 twins, the parity fixtures' networks
        assertEquals(103_585, new UNet(UNetConfig.small(1, 28, 0).withModelChannels(8), 0).numParameters());
        assertEquals(103_665, new UNet(UNetConfig.small(1, 28, 10).withModelChannels(8), 0).numParameters());
    }

    @Test
    void namesFollowTheTwinsNamedParameters() {
        List<String> names = new UNet(UNetConfig.small(1, 28, 10), 0).parameters().parameters().stream()
                .map(Parameter::name).toList();
        // The twin's first names (list(UNet(1, num_classes=10).named_parameters()) in torch_unet.py).
        assertEquals(List.of("class_emb.weight", "emb_mlp.0.weight", "emb_mlp.0.bias", "emb_mlp.2.weight",
                "emb_mlp.2.bias", "conv_in.weight", "conv_in.bias", "enc.0.norm0.weight", "enc.0.norm0.bias",
                "enc.0.conv0.weight", "enc.0.conv0.bias", "enc.0.affine.weight", "enc.0.affine.bias",
                "enc.0.norm1.weight", "enc.0.norm1.bias", "enc.0.conv1.weight", "enc.0.conv1.bias"), names.subList(0, 17));
        assertEquals(List.of("norm_out.weight", "norm_out.bias", "conv_out.weight", "conv_out.bias"),
                names.subList(names.size() - 4, names.size()));
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        UNetConfig c = UNetConfig.small(1, 28, 0).withModelChannels(8);
        float[] a = new UNet(c, 42).parameters().values();
        assertArrayEquals(a, new UNet(c, 42).parameters().values());
        assertFalse(Arrays.equals(a, new UNet(c, 43).parameters().values()));
    }

    @Test
    void fromValuesCopiesTheWeights() {
        UNetConfig c = UNetConfig.small(1, 28, 0).withModelChannels(8);
        float[] a = new UNet(c, 42).parameters().values();
        UNet copy = UNet.fromValues(c, a);
        assertArrayEquals(a, copy.parameters().values());
        copy.parameters().values()[0] += 1;
        assertFalse(Arrays.equals(a, copy.parameters().values()), "the copy does not share the caller's array");
        assertThrows(IllegalArgumentException.class, () -> UNet.fromValues(c, new float[10]));
    }
}
