package io.sparkdiffusion.nn;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

/**
 * Sinusoidal embedding of the noise level (Vaswani et al. 2017, as in EDM's {@code PositionalEmbedding}):
 * {@code [cos(c f_0), .., cos(c f_{d/2-1}), sin(c f_0), .., sin(c f_{d/2-1})]} with
 * {@code f_i = (1/10000)^(i / (d/2))}; {@code [N] -> [N, d]}. No parameters.
 */
public final class PositionalEmbedding {
    private static final double MAX_POSITIONS = 10000;

    private final int dim;
    private final float[] freqs; // [dim / 2]

    public PositionalEmbedding(int dim) {
        if (dim < 2 || dim % 2 != 0) {
            throw new IllegalArgumentException("positional embedding dim must be even and >= 2, got " + dim);
        }
        this.dim = dim;
        int half = dim / 2;
        this.freqs = new float[half];
        for (int i = 0; i < half; i++) {
            // float32 exponent, as the twin computes arange(half) / half in float32
            freqs[i] = (float) Math.pow(1.0 / MAX_POSITIONS, (float) i / half);
        }
    }

    public int dim() {
        return dim;
    }

    /** The embedding {@code [N, dim]} of the noise levels {@code cNoise [N]}. */
    public Tensor embed(float[] cNoise) {
        int n = cNoise.length;
        int half = dim / 2;
        Tensor out = Tensor.zeros(Shape.of(n, dim));
        float[] o = out.data();
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < half; i++) {
                float arg = cNoise[b] * freqs[i];
                o[b * dim + i] = (float) Math.cos(arg);
                o[b * dim + half + i] = (float) Math.sin(arg);
            }
        }
        return out;
    }
}
