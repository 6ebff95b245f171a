package io.sparkdiffusion.train;

import java.io.Serializable;
import java.util.Locale;

/**
 * An update rule on a flat parameter vector whose state is a flat float array, so that the state can be
 * broadcast, averaged across partitions and saved like the weights.
 */
public sealed interface Optimizer extends Serializable permits Optimizer.Sgd, Optimizer.Adam {

    /** The names {@link #parse} accepts. */
    String[] NAMES = {"adam", "sgd"};

    /** The number of state floats for {@code numParameters} parameters. */
    int stateSize(int numParameters);

    /**
     * Applies one update in place.
     *
     * @param params       {@code [n]}, updated in place
     * @param grads        {@code [n]}, the gradient of this step (already clipped)
     * @param state        {@code [stateSize(n)]}, updated in place
     * @param step         the number of this step, counting from 1 (Adam's bias correction)
     * @param learningRate this step's learning rate
     */
    void step(float[] params, float[] grads, float[] state, long step, double learningRate);

    /** Plain gradient descent, {@code p <- p - lr g}; no state. */
    record Sgd() implements Optimizer {
        @Override
        public int stateSize(int numParameters) {
            return 0;
        }

        @Override
        public void step(float[] params, float[] grads, float[] state, long step, double learningRate) {
            float lr = (float) learningRate;
            for (int i = 0; i < params.length; i++) {
                params[i] -= lr * grads[i];
            }
        }
    }

    /**
     * Adam (Kingma and Ba 2015, Algorithm 1) with bias correction. State layout: {@code [m (n floats), v (n floats)]}.
     */
    record Adam(double beta1, double beta2, double epsilon) implements Optimizer {
        public Adam {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("Adam betas must lie in [0, 1), got beta1=" + beta1 + ", beta2=" + beta2);
            }
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("Adam epsilon must be > 0, got " + epsilon);
            }
        }

        @Override
        public int stateSize(int numParameters) {
            return 2 * numParameters;
        }

        @Override
        public void step(float[] params, float[] grads, float[] state, long step, double learningRate) {
            int n = params.length;
            float b1 = (float) beta1;
            float b2 = (float) beta2;
            // Bias corrections folded into the step size, as in the paper's final paragraph of Section 2.
            double c1 = 1 - Math.pow(beta1, step);
            double c2 = 1 - Math.pow(beta2, step);
            float stepSize = (float) (learningRate * Math.sqrt(c2) / c1);
            float eps = (float) (epsilon * Math.sqrt(c2));
            for (int i = 0; i < n; i++) {
                float g = grads[i];
                float m = b1 * state[i] + (1 - b1) * g;
                float v = b2 * state[n + i] + (1 - b2) * g * g;
                state[i] = m;
                state[n + i] = v;
                params[i] -= stepSize * m / ((float) Math.sqrt(v) + eps);
            }
        }
    }

    /** The optimizer named {@code name} ({@code adam} or {@code sgd}); Adam takes the given betas and epsilon. */
    static Optimizer parse(String name, double beta1, double beta2, double epsilon) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "adam" -> new Adam(beta1, beta2, epsilon);
            case "sgd" -> new Sgd();
            default -> throw new IllegalArgumentException("optimizer must be one of adam, sgd; got '" + name + "'");
        };
    }
}
