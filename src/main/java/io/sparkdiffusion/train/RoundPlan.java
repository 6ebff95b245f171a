package io.sparkdiffusion.train;

/**
 * The rounds a run plans, the first {@code shortRounds} of them short rounds of post-local SGD (Lin et al. 2020,
 * "Don't Use Large Mini-Batches, Use Local SGD", ICLR 2020: synchronous steps while the weights move fast, local
 * SGD once they settle): one local step each, plainly averaged; the rest have {@code localSteps} steps and the
 * outer optimizer.
 *
 * @param rounds      the rounds of the run
 * @param shortRounds how many of them come first as short rounds, in [0, rounds]
 */
public record RoundPlan(int rounds, int shortRounds) {

    public RoundPlan {
        if (rounds < 0 || shortRounds < 0 || shortRounds > rounds) {
            throw new IllegalArgumentException("a round plan needs 0 <= shortRounds <= rounds, got " + shortRounds
                    + " short rounds of " + rounds);
        }
    }

    /**
     * The plan of a run. With {@code numImages > 0}: short rounds until {@code shortRoundImages} images are trained
     * (or all of numImages), then long rounds until numImages are; else {@code numRounds} rounds, the first of them
     * short until shortRoundImages images are trained.
     *
     * @param perShortRound images one short round trains (one local step on every partition), > 0
     * @param perRound      images one long round trains ({@code localSteps} steps on every partition), > 0
     */
    public static RoundPlan of(long numImages, int numRounds, long shortRoundImages, long perShortRound,
                               long perRound) {
        if (perShortRound <= 0 || perRound <= 0) {
            throw new IllegalArgumentException("images per round must be > 0, got " + perShortRound + " (short) and "
                    + perRound);
        }
        long wanted = ceilDiv(shortRoundImages, perShortRound);
        if (numImages <= 0) {
            return new RoundPlan(numRounds, (int) Math.min(wanted, numRounds));
        }
        long shortRounds = Math.min(wanted, ceilDiv(numImages, perShortRound));
        long rest = numImages - shortRounds * perShortRound;
        long rounds = shortRounds + (rest > 0 ? ceilDiv(rest, perRound) : 0);
        if (rounds > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(numImages + " images need " + rounds + " rounds, more than "
                    + Integer.MAX_VALUE + ": raise batchSize or localSteps");
        }
        return new RoundPlan((int) rounds, (int) shortRounds);
    }

    /** The optimizer steps of the plan, each partition's: one per short round, localSteps per long round. */
    public long steps(int localSteps) {
        return shortRounds + (long) (rounds - shortRounds) * localSteps;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
