package io.sparkdiffusion.nn.unet;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampling path: an inference tape gives the training tape's output and frees dead activations. */
class UNetInferenceTest {
    private static final float TOLERANCE = 1e-6f;

    @Test
    void inferenceTapeMatchesRecordingTapeWithLessMemory() {
        UNet net = new UNet(UNetConfig.small(1, 28, 10).withModelChannels(8), 3);
        SplittableRandom random = new SplittableRandom(9);
        int n = 4;
        Tensor x = Tensor.zeros(Shape.of(n, 1, 28, 28));
        for (int i = 0; i < x.size(); i++) {
            x.set(i, (float) (2 * random.nextDouble() - 1));
        }
        float[] cNoise = {-1f, 0f, 0.5f, 2f};
        int[] labels = {3, -1, 0, 9};

        Tape recording = new Tape();
        float[] expected = net.forward(recording, x, cNoise, labels).value().toArray();
        Tape inference = Tape.inference();
        float[] actual = net.forward(inference, x, cNoise, labels).value().toArray();
        assertArrayEquals(expected, actual, TOLERANCE);
        assertTrue(inference.allocatedFloats() * 2 < recording.allocatedFloats(),
                "inference tape allocated " + inference.allocatedFloats() + " floats, recording " + recording.allocatedFloats());

        // Reused across passes: the second pass allocates nothing new and gives the same output.
        long before = inference.allocatedFloats();
        inference.reset();
        assertArrayEquals(expected, net.forward(inference, x, cNoise, labels).value().toArray(), TOLERANCE);
        assertEquals(before, inference.allocatedFloats());
    }

    /**
     * {@code labelScale} s puts s instead of 1 into the one-hot label: the same network as scale 1 with the class
     * embedding's weights multiplied by s (the embedding is a bias-free linear map of the one-hot vector), and no
     * change at all for unlabelled rows.
     */
    @Test
    void labelScaleIsTheClassEmbeddingScaledBySqrtNumClasses() {
        UNetConfig plain = UNetConfig.small(1, 28, 10).withModelChannels(8);
        float s = (float) Math.sqrt(10);
        UNet scaled = new UNet(plain.withLabelScale(s), 3);
        float[] values = scaled.parameters().values().clone(); // the store hands out its live array
        io.sparkdiffusion.nn.Parameter emb = scaled.parameters().get("class_emb.weight");
        for (int i = emb.offset(); i < emb.offset() + emb.size(); i++) {
            values[i] *= s;
        }
        UNet reference = UNet.fromValues(plain, values);
        UNet unscaled = UNet.fromValues(plain, scaled.parameters().values());

        SplittableRandom random = new SplittableRandom(5);
        Tensor x = Tensor.zeros(Shape.of(3, 1, 28, 28));
        for (int i = 0; i < x.size(); i++) {
            x.set(i, (float) random.nextGaussian());
        }
        float[] cNoise = {-0.5f, 0.25f, 1.5f};
        int[] labels = {7, 0, -1};
        float[] actual = scaled.forward(Tape.inference(), x, cNoise, labels).value().toArray();
        assertArrayEquals(reference.forward(Tape.inference(), x, cNoise, labels).value().toArray(), actual, TOLERANCE);

        // The labelled rows differ from the plain one-hot's; the unlabelled row (-1) does not.
        float[] plainOut = unscaled.forward(Tape.inference(), x, cNoise, labels).value().toArray();
        int row = 28 * 28;
        float maxDiffLabelled = 0;
        for (int i = 0; i < 2 * row; i++) {
            maxDiffLabelled = Math.max(maxDiffLabelled, Math.abs(actual[i] - plainOut[i]));
        }
        assertTrue(maxDiffLabelled > 1e-3f, "labelScale changed labelled outputs by only " + maxDiffLabelled);
        for (int i = 2 * row; i < 3 * row; i++) {
            assertEquals(plainOut[i], actual[i], 0f, "unlabelled output " + i);
        }
    }

    @Test
    void rejectsBadInputsNamingThem() {
        UNet net = new UNet(UNetConfig.small(1, 28, 10).withModelChannels(8), 3);
        Tape tape = Tape.inference();
        Tensor x = Tensor.zeros(Shape.of(2, 1, 28, 28));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.forward(tape, Tensor.zeros(Shape.of(2, 3, 32, 32)), new float[2], null));
        assertEquals("x: expected [N, 1, 28, 28], got [2, 3, 32, 32]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> net.forward(tape, x, new float[3], null));
        e = assertThrows(IllegalArgumentException.class, () -> net.forward(tape, x, new float[2], new int[] {0, 10}));
        assertTrue(e.getMessage().startsWith("labels[1] must be -1 (no label) or in [0, 10), got 10"), e.getMessage());
    }
}
