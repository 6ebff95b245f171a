package io.sparkdiffusion.nn;

import java.util.SplittableRandom;

/** How a parameter is filled when its {@link ParameterStore} is sealed. */
public sealed interface Init {

    /** Fills {@code data[offset, offset + count)}, drawing from {@code random} when needed. */
    void fill(float[] data, int offset, int count, SplittableRandom random);

    /**
     * Uniform on {@code [-bound, bound)}. With {@code bound = 1 / sqrt(fanIn)} this is PyTorch's default for
     * {@code nn.Linear} and {@code nn.Conv2d} weights ({@code kaiming_uniform_(a = sqrt(5))}) and biases.
     */
    record Uniform(double bound) implements Init {
        public Uniform {
            if (!(bound > 0) || Double.isInfinite(bound)) {
                throw new IllegalArgumentException("uniform init bound must be positive and finite, got " + bound);
            }
        }

        /** PyTorch's default bound for a layer with {@code fanIn} inputs per output: {@code 1 / sqrt(fanIn)}. */
        public static Uniform fanIn(int fanIn) {
            if (fanIn <= 0) {
                throw new IllegalArgumentException("fanIn must be >= 1, got " + fanIn);
            }
            return new Uniform(1.0 / Math.sqrt(fanIn));
        }

        @Override
        public void fill(float[] data, int offset, int count, SplittableRandom random) {
            for (int i = 0; i < count; i++) {
                data[offset + i] = (float) ((2 * random.nextDouble() - 1) * bound);
            }
        }
    }

    /** Every element set to {@code value} (GroupNorm: gamma 1, beta 0). */
    record Constant(float value) implements Init {
        @Override
        public void fill(float[] data, int offset, int count, SplittableRandom random) {
            java.util.Arrays.fill(data, offset, offset + count, value);
        }
    }
}
