package io.sparkdiffusion.nn;

/**
 * The dropout masks of one training forward pass: dropout site {@code i} (one per residual block, numbered
 * in construction order) draws its mask from {@link #seedFor(int) seedFor(i)}, so a pass is reproducible
 * from {@code seed} alone; or, made by {@link #rows}, each row of the batch draws its own masks from its own
 * seed ({@link #seedsFor(int)}), so that a row's masks do not depend on its neighbours. The drop probability is
 * the network's (a {@link ResBlock} setting); passing no draw ({@code null}) means evaluation, no dropout.
 *
 * @param seed     the seed of this forward pass (unused when rowSeeds is set)
 * @param rowSeeds one seed per row of the batch, or null for one mask over the whole batch
 */
public record DropoutDraw(long seed, long[] rowSeeds) {

    /** One mask per site over the whole batch, from {@code seed}. */
    public DropoutDraw(long seed) {
        this(seed, null);
    }

    /** Masks per row: row {@code b} draws from {@code rowSeeds[b]}. */
    public static DropoutDraw rows(long[] rowSeeds) {
        return new DropoutDraw(0, rowSeeds.clone());
    }

    /** True when each row draws its own masks. */
    public boolean perRow() {
        return rowSeeds != null;
    }

    /** The seeds of each row's mask at dropout site {@code site}, in row order (for {@link #perRow} draws). */
    public long[] seedsFor(int site) {
        long[] seeds = new long[rowSeeds.length];
        for (int b = 0; b < seeds.length; b++) {
            seeds[b] = mix(rowSeeds[b], site);
        }
        return seeds;
    }

    /** A well-mixed seed for dropout site {@code site} (the SplitMix64 finalizer of seed and site). */
    public long seedFor(int site) {
        return mix(seed, site);
    }

    private static long mix(long seed, int site) {
        long z = seed + 0x9E3779B97F4A7C15L * (site + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
