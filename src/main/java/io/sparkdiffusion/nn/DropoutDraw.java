package io.sparkdiffusion.nn;

/**
 * The dropout masks of one training forward pass: dropout site {@code i} (one per residual block, numbered
 * in construction order) draws its mask from {@link #seedFor(int) seedFor(i)}, so a pass is reproducible
 * from {@code seed} alone. The drop probability is the network's (a {@link ResBlock} setting); passing no
 * draw ({@code null}) means evaluation, no dropout.
 *
 * @param seed the seed of this forward pass
 */
public record DropoutDraw(long seed) {

    /** A well-mixed seed for dropout site {@code site} (the SplitMix64 finalizer of seed and site). */
    public long seedFor(int site) {
        long z = seed + 0x9E3779B97F4A7C15L * (site + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
