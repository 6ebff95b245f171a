package io.sparkdiffusion.train;

import java.io.Serializable;

/** Called on the driver after each training round, e.g. to print one progress line. */
@FunctionalInterface
public interface RoundListener extends Serializable {

    /**
     * @param record        the round just finished
     * @param plannedRounds the number of rounds the run will have in total
     */
    void onRound(RoundRecord record, int plannedRounds);
}
