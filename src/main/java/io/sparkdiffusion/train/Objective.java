package io.sparkdiffusion.train;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * A differentiable training loss over a flat parameter vector: what each partition minimizes.
 *
 * <p>Implementations are shipped to Spark executors, so they hold configuration only and build any heavy
 * state (a network, a tape) lazily. They need not be thread-safe: each task uses its own instance.
 */
public interface Objective extends Serializable {

    /** The length of the flat parameter vector. */
    int numParameters();

    /** Writes the initial parameters, a pure function of {@code seed}, into {@code params}. */
    void initialize(float[] params, long seed);

    /**
     * Computes the batch-mean loss and overwrites {@code grads} with its gradient.
     *
     * @param params the parameters, {@code [numParameters()]}; not modified
     * @param grads  receives d loss / d params, {@code [numParameters()]}
     * @param batch  the clean images (and labels) of this step
     * @param random the step's random stream (noise levels, noise, label dropout)
     * @return the batch-mean loss
     */
    double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom random);

    /**
     * The same loss with all of row {@code b}'s draws (noise level, noise, label dropout, the network's dropout
     * masks) from {@code rowRandoms[b]}: a row's draws then do not depend on which rows share its batch, which
     * {@link SyncMode#GRADIENTS} needs to train the same model on any number of partitions.
     *
     * @param rowRandoms one stream per row of {@code batch}
     * @throws UnsupportedOperationException when the objective draws its randomness per batch only
     */
    default double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom[] rowRandoms) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " draws its randomness per batch, not"
                + " per row, so it cannot train with syncMode gradients: use syncMode weights");
    }
}
