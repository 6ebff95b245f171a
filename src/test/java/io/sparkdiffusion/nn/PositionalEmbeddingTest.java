package io.sparkdiffusion.nn;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PositionalEmbeddingTest {
    private static final float TOLERANCE = 1e-6f;

    @Test
    void cosinesThenSinesAtGeometricFrequencies() {
        // dim 4: f = [1, (1/10000)^(1/2)] = [1, 0.01]
        Tensor e = new PositionalEmbedding(4).embed(new float[] {2f, -0.5f});
        assertEquals(Shape.of(2, 4), e.shape());
        float[] expected = {
                (float) Math.cos(2), (float) Math.cos(0.02), (float) Math.sin(2), (float) Math.sin(0.02),
                (float) Math.cos(-0.5), (float) Math.cos(-0.005), (float) Math.sin(-0.5), (float) Math.sin(-0.005)};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], e.get(i), TOLERANCE, "element " + i);
        }
    }

    @Test
    void rejectsOddDim() {
        assertThrows(IllegalArgumentException.class, () -> new PositionalEmbedding(3));
    }
}
