package io.sparkdiffusion.nn.optim;

import java.io.Serializable;
import java.util.Locale;

/**
 * An update rule on a flat parameter vector whose state is one flat float array, so that the state can be
 * broadcast, averaged across partitions and saved like the weights.
 */
public sealed interface Optimizer extends Serializable permits Optimizer.Sgd, Optimizer.Adam {

    /** The names {@link #parse} accepts. */
    String[] NAMES = {"adam", "sgd"};

    /** The number of state floats for {@code numParameters} parameters. */
    int stateSize(int numParameters);

    /**
     * A stepper that continues from {@code state} after {@code stepsDone} steps.
     *
     * @param state        {@code [stateSize(numParameters)]}; copied
     * @param learningRate the peak learning rate (each step passes its own scheduled rate)
     */
    Stepper resume(float[] state, long stepsDone, int numParameters, double learningRate);

    /** A running optimizer. */
    interface Stepper {
        /** Updates {@code params} in place from this step's (already clipped) gradient. */
        void stepInPlace(float[] params, float[] grads, double learningRate);

        /** A copy of the current state, {@code [stateSize]}. */
        float[] state();
    }

    /** Plain gradient descent, {@code p <- p - lr g}; no state. */
    record Sgd() implements Optimizer {
        @Override
        public int stateSize(int numParameters) {
            return 0;
        }

        @Override
        public Stepper resume(float[] state, long stepsDone, int numParameters, double learningRate) {
            return new Stepper() {
                @Override
                public void stepInPlace(float[] params, float[] grads, double lr) {
                    float r = (float) lr;
                    for (int i = 0; i < params.length; i++) {
                        params[i] -= r * grads[i];
                    }
                }

                @Override
                public float[] state() {
                    return new float[0];
                }
            };
        }
    }

    /**
     * Adam's settings; its stepper is {@link io.sparkdiffusion.nn.optim.Adam} itself (torch.optim.Adam's update,
     * no weight decay). State layout: {@code [m (n floats), v (n floats)]}; the step count is the trainer's global
     * step.
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
        public Stepper resume(float[] state, long stepsDone, int numParameters, double learningRate) {
            if (state.length != 2 * numParameters) {
                throw new IllegalArgumentException("Adam state: expected " + 2 * numParameters + " floats, got "
                        + state.length);
            }
            var adam = new io.sparkdiffusion.nn.optim.Adam(new AdamConfig(learningRate, beta1, beta2, epsilon, 0),
                    numParameters);
            adam.restore(state, stepsDone);
            return adam;
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
