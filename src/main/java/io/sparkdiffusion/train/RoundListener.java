package io.sparkdiffusion.train;

import java.io.Serializable;

/** Called on the driver after each training round, e.g. to print one progress line (and its evaluation). */
@FunctionalInterface
public interface RoundListener extends Serializable {

    /**
     * @param record        the round just finished
     * @param plannedRounds the number of rounds the run will have in total
     */
    void onRound(RoundRecord record, int plannedRounds);

    /**
     * Called on the driver with a sample-quality evaluation of the EMA weights, after the round it belongs to
     * ended and before {@link #onRound} is called for that round (so a progress line can show it); by default
     * nothing.
     */
    default void onEvaluation(EvaluationRecord evaluation) {
    }
}
