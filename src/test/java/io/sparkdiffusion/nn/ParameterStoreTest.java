package io.sparkdiffusion.nn;

import io.sparkdiffusion.tensor.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParameterStoreTest {

    private static ParameterStore twoLayers(long seed) {
        ParameterStore store = new ParameterStore(seed);
        new Linear(store, "a", 4, 3, true);
        new GroupNorm(store, "n", 8);
        store.seal();
        return store;
    }

    @Test
    void parametersAreViewsIntoOneFlatArrayInConstructionOrder() {
        ParameterStore store = twoLayers(1);
        assertEquals(12 + 3 + 8 + 8, store.numParameters());
        assertEquals(java.util.List.of("a.weight", "a.bias", "n.weight", "n.bias"),
                store.parameters().stream().map(Parameter::name).toList());
        Parameter bias = store.get("a.bias");
        assertEquals(12, bias.offset());
        assertEquals(Shape.of(3), bias.shape());
        bias.value().set(1, 42f);
        assertEquals(42f, store.values()[13]);
        bias.grad().set(2, 7f);
        assertEquals(7f, store.grads()[14]);
    }

    @Test
    void initFollowsPyTorchDefaults() {
        ParameterStore store = twoLayers(3);
        double bound = 1 / Math.sqrt(4); // fan_in of a 4 -> 3 linear layer
        float[] v = store.values();
        boolean anyNegative = false;
        for (int i = 0; i < 15; i++) {
            assertTrue(Math.abs(v[i]) <= bound, "linear init " + v[i] + " outside +-" + bound);
            anyNegative |= v[i] < 0;
        }
        assertTrue(anyNegative);
        for (int i = 15; i < 23; i++) {
            assertEquals(1f, v[i], "GroupNorm gamma starts at 1");
        }
        for (int i = 23; i < 31; i++) {
            assertEquals(0f, v[i], "GroupNorm beta starts at 0");
        }
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        assertArrayEquals(twoLayers(7).values(), twoLayers(7).values());
        assertFalse(java.util.Arrays.equals(twoLayers(7).values(), twoLayers(8).values()));
    }

    @Test
    void rejectsMisuse() {
        ParameterStore store = new ParameterStore(0);
        store.add("w", Shape.of(2), new Init.Constant(0f));
        assertThrows(IllegalArgumentException.class, () -> store.add("w", Shape.of(2), new Init.Constant(0f)));
        assertThrows(IllegalStateException.class, store::values);
        store.seal();
        assertThrows(IllegalStateException.class, () -> store.add("x", Shape.of(2), new Init.Constant(0f)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.get("nope"));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void groupNormRejectsChannelCountsItCannotSplit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GroupNorm(new ParameterStore(0), "enc.0.norm0", 136)); // 32 groups do not split 136
        assertTrue(e.getMessage().contains("enc.0.norm0") && e.getMessage().contains("136 channels"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GroupNorm(new ParameterStore(0), "n", 2)); // 0 groups
    }
}
