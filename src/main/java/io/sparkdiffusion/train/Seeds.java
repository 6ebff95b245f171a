package io.sparkdiffusion.train;

/**
 * Seed derivation: every random stream of a training run is a pure function of the run's seed and the
 * coordinates of the work it feeds, so retries and reruns repeat it exactly.
 *
 * <p>Mixing function: SplitMix64's finalizer {@code mix64} (Steele, Lea and Flood 2014) applied as a chain,
 * {@code derive(seed, a, b) = mix64(mix64(mix64(seed) ^ a) ^ b)}. Each coordinate passes through a full
 * avalanche before the next one is folded in, so (a, b) and (b, a) give unrelated seeds.
 */
public final class Seeds {

    /** Domain tags, so the streams for different purposes never coincide. */
    static final long INIT = 0x1A17L;
    static final long STEP = 0x57E9L;
    static final long SAMPLE = 0x5A3DL;
    static final long GROUP_STEP = 0x6A0EL;

    private Seeds() {
    }

    /** SplitMix64's finalizer: a bijection on 64-bit values with full avalanche. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** {@code mix64(... mix64(mix64(seed) ^ c0) ^ c1 ...)} over the coordinates in order. */
    public static long derive(long seed, long... coordinates) {
        long h = mix64(seed);
        for (long c : coordinates) {
            h = mix64(h ^ c);
        }
        return h;
    }

    /** The seed of the initial weights of a run. */
    public static long init(long seed) {
        return derive(seed, INIT);
    }

    /**
     * The seed of one optimizer step on one partition: batch choice, label dropout and noise draws.
     * {@code globalStep} counts from 0 over the whole run (round r, local step k: {@code r * localSteps + k}),
     * so a run does not depend on how its steps are grouped into rounds.
     */
    public static long step(long seed, long globalStep, int partition) {
        return derive(seed, STEP, globalStep, partition);
    }

    /**
     * The seed of one group's draws at one step of {@link SyncMode#GRADIENTS}: which of the group's images, its
     * noise level, label dropout and noise. It does not name a partition, so the draws are the same however the
     * groups are spread over partitions.
     */
    public static long groupStep(long seed, long globalStep, int group) {
        return derive(seed, GROUP_STEP, globalStep, group);
    }

}
