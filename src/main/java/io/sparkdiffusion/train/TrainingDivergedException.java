package io.sparkdiffusion.train;

/**
 * Training produced a NaN or infinite loss, weight or optimizer state. The diverged round was discarded: the
 * last good state is in {@link #lastCheckpoint()} (if checkpoints were on), never overwritten by the bad round.
 */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int round;
    private final String lastCheckpoint;

    /**
     * @param round          the index (from 0) of the round that diverged
     * @param detail         what was not finite, and where
     * @param lastCheckpoint the last good checkpoint's location and round, or null when there is none
     * @param advice         what the user can do next
     */
    public TrainingDivergedException(int round, String detail, String lastCheckpoint, String advice) {
        super("training diverged in round " + round + ": " + detail + "; the round was discarded. "
                + (lastCheckpoint == null
                ? "There is no checkpoint to resume from (set checkpointDir to keep one). "
                : "The last good checkpoint is " + lastCheckpoint + ". ")
                + advice);
        this.round = round;
        this.lastCheckpoint = lastCheckpoint;
    }

    /** The index (from 0) of the round that diverged. */
    public int round() {
        return round;
    }

    /** The last good checkpoint (its directory and round), or null when checkpoints were off or none was written. */
    public String lastCheckpoint() {
        return lastCheckpoint;
    }
}
