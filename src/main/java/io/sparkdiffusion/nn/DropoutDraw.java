package io.sparkdiffusion.nn;

/**
 * Which dropout masks one training forward pass uses: every dropout site {@code i} of the pass draws its
 * mask from {@link #seedFor(int) seedFor(i)}, so a pass is reproducible from its seed alone.
 *
 * @param p    the drop probability, in {@code [0, 1)}
 * @param seed the seed of this forward pass
 */
public record DropoutDraw(float p, long seed) {

    public DropoutDraw {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
    }

    /** A well-mixed seed for dropout site {@code site} (SplitMix64 finalizer of seed and site). */
    public long seedFor(int site) {
        long z = seed + 0x9E3779B97F4A7C15L * (site + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
