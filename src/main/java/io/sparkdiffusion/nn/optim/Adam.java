package io.sparkdiffusion.nn.optim;

import java.util.Arrays;

/**
 * Adam over one flat parameter array, step for step torch.optim.Adam (torch 1.13, single-tensor path):
 * <pre>
 *   t  = t + 1
 *   g  = grad + weightDecay * w                      (L2, as torch.optim.Adam; not AdamW)
 *   m  = beta1 m + (1 - beta1) g
 *   v  = beta2 v + (1 - beta2) g^2
 *   w  = w - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * The moments {@code m}, {@code v} live in one flat {@code float[]} ({@code [m (n floats), v (n floats)]}, each at
 * the parameters' offsets) and, with the step count {@code t}, are the whole state: {@link #state()} and
 * {@link #step()} expose it for averaging and checkpoints, {@link #restore} puts it back. This class is the
 * {@link Optimizer.Stepper} of {@link Optimizer.Adam}.
 */
public final class Adam implements Optimizer.Stepper {
    private final AdamConfig config;
    private final int n;
    private final float[] state; // [m (n), v (n)]
    private long step;

    /** A fresh optimizer (zero moments, step 0) for {@code numParameters} parameters. */
    public Adam(AdamConfig config, int numParameters) {
        if (numParameters < 1) {
            throw new IllegalArgumentException("numParameters must be >= 1, got " + numParameters);
        }
        this.config = config;
        this.n = numParameters;
        this.state = new float[2 * numParameters];
    }

    public AdamConfig config() {
        return config;
    }

    /**
     * One update of {@code params} in place from {@code grads} (same length as the moments); uses the
     * configured learning rate.
     */
    public void stepInPlace(float[] params, float[] grads) {
        stepInPlace(params, grads, config.lr());
    }

    /** One update with learning rate {@code lr} for this step (for schedules); see the class equations. */
    @Override
    public void stepInPlace(float[] params, float[] grads, double lr) {
        requireLength(params, "params");
        requireLength(grads, "grads");
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr must be >= 0 and finite, got " + lr);
        }
        step++;
        float b1 = (float) config.beta1();
        float b2 = (float) config.beta2();
        float wd = (float) config.weightDecay();
        float eps = (float) config.eps();
        double biasCorrection1 = 1 - Math.pow(config.beta1(), step);
        double biasCorrection2 = 1 - Math.pow(config.beta2(), step);
        float stepSize = (float) (lr / biasCorrection1);
        float bc2Sqrt = (float) Math.sqrt(biasCorrection2);
        for (int i = 0; i < params.length; i++) {
            float g = wd != 0f ? grads[i] + wd * params[i] : grads[i];
            float mi = state[i] * b1 + (1 - b1) * g;
            float vi = state[n + i] * b2 + (1 - b2) * g * g;
            state[i] = mi;
            state[n + i] = vi;
            params[i] -= stepSize * mi / ((float) Math.sqrt(vi) / bc2Sqrt + eps);
        }
    }

    /** The number of steps taken (torch's {@code state['step']}). */
    public long step() {
        return step;
    }

    /** A copy of the first-moment estimate m, {@code [numParameters]}. */
    public float[] firstMoment() {
        return Arrays.copyOfRange(state, 0, n);
    }

    /** A copy of the second-moment estimate v, {@code [numParameters]}. */
    public float[] secondMoment() {
        return Arrays.copyOfRange(state, n, 2 * n);
    }

    /** A copy of the whole moment state, {@code [m (n floats), v (n floats)]}. */
    @Override
    public float[] state() {
        return state.clone();
    }

    /** Replaces the state (e.g. averaged across partitions, or loaded from a checkpoint); arrays are copied. */
    public void restore(float[] firstMoment, float[] secondMoment, long stepCount) {
        requireLength(firstMoment, "firstMoment");
        requireLength(secondMoment, "secondMoment");
        float[] flat = new float[2 * n];
        System.arraycopy(firstMoment, 0, flat, 0, n);
        System.arraycopy(secondMoment, 0, flat, n, n);
        restore(flat, stepCount);
    }

    /** Replaces the state from its flat form {@code [m (n floats), v (n floats)]} (copied). */
    public void restore(float[] flatState, long stepCount) {
        if (flatState == null || flatState.length != 2 * n) {
            throw new IllegalArgumentException("Adam state: expected " + 2 * n + " floats, got "
                    + (flatState == null ? "null" : flatState.length));
        }
        if (stepCount < 0) {
            throw new IllegalArgumentException("stepCount must be >= 0, got " + stepCount);
        }
        System.arraycopy(flatState, 0, state, 0, state.length);
        this.step = stepCount;
    }

    /** Back to zero moments and step 0. */
    public void reset() {
        Arrays.fill(state, 0f);
        step = 0;
    }

    private void requireLength(float[] a, String what) {
        if (a == null || a.length != n) {
            throw new IllegalArgumentException(what + ": expected " + n + " floats, got "
                    + (a == null ? "null" : a.length));
        }
    }
}
