package io.sparkdiffusion.nn.optim;

import java.io.Serializable;
import java.util.Locale;

/**
 * An update rule on a flat parameter vector whose state is one flat float array, so that the state can be
 * broadcast, averaged across partitions and saved like the weights.
 */
public sealed interface Optimizer extends Serializable permits Optimizer.Sgd, Optimizer.Adam, Optimizer.Lookahead {

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

    /**
     * Another optimizer with an outer step every {@code interval} of its steps: Lookahead (Zhang et al. 2019,
     * "Lookahead Optimizer: k steps forward, 1 step back", arXiv:1907.08610) whose slow weights move by DiLoCo's
     * outer step, SGD with Nesterov momentum on the change since the last outer step (Douillard et al. 2023,
     * arXiv:2311.08105, with one worker; PyTorch's {@code SGD(nesterov=True)}, dampening 0):
     * <pre>
     *   delta  = anchor - params
     *   v      = mu v + delta
     *   params = anchor - lr (delta + mu v)
     *   anchor = params
     * </pre>
     * after every {@code interval}-th inner step since the anchor was set. The trainer uses it to take DiLoCo's outer
     * step on each partition every {@code outerInterval} local steps, more often than the rounds average
     * ({@code localSteps}). Each element is computed in double from the float inputs and rounded to float once,
     * exactly as the driver's outer step ({@link #nesterov}).
     * <p>State layout: {@code [inner state, anchor (n floats), v (n floats), count (1 float)]}. {@code count} is 0 in a
     * fresh (all-zero) state, whose first step takes the weights it is given as the anchor, and 1 + the steps taken
     * since the anchor was set otherwise. All of it averages across partitions like the weights: the step is linear
     * in the anchor, the weights and {@code v}, so the mean of the partitions' outer steps is the outer step of their
     * means (and every partition's count is the same).
     *
     * @param inner        the optimizer of every step
     * @param interval     steps between outer steps, {@code >= 1}
     * @param learningRate the outer learning rate, finite and {@code > 0} (DiLoCo: 0.7)
     * @param momentum     the outer momentum {@code mu}, in [0, 1) (DiLoCo: 0.9)
     * @param paused       no outer steps: the anchor follows the weights after every step and {@code v} stays as it
     *                     is (post-local SGD's short rounds: the outer steps count from their end)
     */
    record Lookahead(Optimizer inner, int interval, double learningRate, double momentum, boolean paused)
            implements Optimizer {
        public Lookahead {
            if (inner == null || inner instanceof Lookahead) {
                throw new IllegalArgumentException("outer step every outerInterval steps: the inner optimizer must be "
                        + "adam or sgd, got " + inner);
            }
            if (interval < 1) {
                throw new IllegalArgumentException("outerInterval must be >= 1 (local steps between outer steps), got "
                        + interval);
            }
            checkOuterSettings(learningRate, momentum);
        }

        /** Refuses an outer learning rate that is not finite and {@code > 0} or a momentum outside [0, 1), by name. */
        public static void checkOuterSettings(double learningRate, double momentum) {
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("outerLearningRate must be a finite number > 0, got "
                        + learningRate);
            }
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("outerMomentum must be in [0, 1), got " + momentum);
            }
        }

        /** These settings with the outer steps paused ({@code paused} true) or taken. */
        public Lookahead withPaused(boolean p) {
            return new Lookahead(inner, interval, learningRate, momentum, p);
        }

        @Override
        public int stateSize(int numParameters) {
            return inner.stateSize(numParameters) + 2 * numParameters + 1;
        }

        @Override
        public Stepper resume(float[] state, long stepsDone, int numParameters, double peakLearningRate) {
            int innerSize = inner.stateSize(numParameters);
            if (state.length != stateSize(numParameters)) {
                throw new IllegalArgumentException("outer step every " + interval + " steps: expected a state of "
                        + stateSize(numParameters) + " floats (" + innerSize + " for the inner optimizer, "
                        + numParameters + " each for the anchor and the momentum, 1 step count), got "
                        + state.length);
            }
            Stepper innerStepper = inner.resume(java.util.Arrays.copyOf(state, innerSize), stepsDone, numParameters,
                    peakLearningRate);
            float[] anchor = java.util.Arrays.copyOfRange(state, innerSize, innerSize + numParameters);
            float[] v = java.util.Arrays.copyOfRange(state, innerSize + numParameters, innerSize + 2 * numParameters);
            float count = state[state.length - 1];
            if (!(count >= 0 && count <= interval && count == Math.rint(count))) {
                throw new IllegalArgumentException("outer step every " + interval + " steps: the state's step count "
                        + "must be a whole number in [0, " + interval + "] (1 + the steps since the last outer step), "
                        + "got " + count + "; was it saved with another outerInterval?");
            }
            int[] sinceAnchor = {(int) count - 1}; // -1: no anchor yet
            return new Stepper() {
                @Override
                public void stepInPlace(float[] params, float[] grads, double rate) {
                    if (sinceAnchor[0] < 0) {
                        System.arraycopy(params, 0, anchor, 0, params.length);
                        sinceAnchor[0] = 0;
                    }
                    innerStepper.stepInPlace(params, grads, rate);
                    if (paused) {
                        System.arraycopy(params, 0, anchor, 0, params.length);
                    } else if (++sinceAnchor[0] == interval) {
                        nesterov(anchor, params, v, learningRate, momentum, 1.0, params, v);
                        System.arraycopy(params, 0, anchor, 0, params.length);
                        sinceAnchor[0] = 0;
                    }
                }

                @Override
                public float[] state() {
                    float[] s = java.util.Arrays.copyOf(innerStepper.state(), stateSize(numParameters));
                    System.arraycopy(anchor, 0, s, innerSize, numParameters);
                    System.arraycopy(v, 0, s, innerSize + numParameters, numParameters);
                    s[s.length - 1] = sinceAnchor[0] + 1;
                    return s;
                }
            };
        }

        /**
         * DiLoCo's outer step from {@code before} towards {@code after} with momentum {@code v}, each element in double
         * and rounded to float once; {@code gamma} is SlowMo's inner learning rate (1 for DiLoCo's step):
         * <pre>
         *   g         = (before - after) / gamma
         *   nextV     = mu v + g
         *   outParams = before - lr gamma (g + mu nextV)
         * </pre>
         * The outputs may be the inputs' arrays: element {@code i} is read before it is written.
         */
        public static void nesterov(float[] before, float[] after, float[] v, double lr, double mu, double gamma,
                                    float[] outParams, float[] nextV) {
            for (int i = 0; i < before.length; i++) {
                double g = ((double) before[i] - (double) after[i]) / gamma;
                double vi = mu * v[i] + g;
                outParams[i] = (float) (before[i] - lr * gamma * (g + mu * vi));
                nextV[i] = (float) vi;
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
