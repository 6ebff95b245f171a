package io.sparkdiffusion.tensor.kernels;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Winograd-transformed convolution weights kept across forward passes, for networks whose weights stay fixed
 * between passes (an inference tape: a sampler evaluates the same network at every step, 35 times per batch for
 * Heun-35). {@link Winograd#forward} transforms a layer's weights on every call, 36 * Cout * Cin values against its
 * products' 36 * Cout * Cin * tiles multiply-adds: at the sampler's batch of 16 images, 8 % of a JFR profile (AMD
 * EPYC, Zen 3, 2026-12-07); keeping them took Heun-35 at batch 16 from 3.62 and 3.67 images/s to 3.88 and 4.00
 * (docs/engine.md, "Sampling keeps the transformed weights").
 *
 * <pre>
 * entry (w, wOff, geometry)   raw [Cout * Cin * 9]   a copy of w's kernels when they were transformed
 *                             u   [36][Cout][Cin]    Winograd.transformForward of them, packed
 * </pre>
 *
 * <p>An entry is found by the weight array's identity and offset and the layer's channels, and used only when w
 * still holds the values it was made from, compared bit for bit on every call (a ninth of the transform's reads
 * and none of its arithmetic): weights changed in place, as a network's are when the next model is loaded into it,
 * are transformed again into the same entry. So a forward pass gives the same bits with or without this. The
 * entries hold at most {@link #budgetFloats()} floats: the layers that come first keep theirs, and a layer that
 * does not fit beside them is transformed on every call, as without a cache (a network passes its layers in the
 * same order every time, so evicting would only trade one layer's transforms for another's). Not thread-safe: one
 * per tape.
 */
public final class TransformedWeights {
    /** The share of the heap all instances together may hold by default, one per task thread and processor. */
    private static final int HEAP_FRACTION = 16;

    private record Key(float[] w, int wOff, int cout, int cin) {
        // The array by identity: records compare array components with equals, which is identity for arrays.
    }

    private static final class Entry {
        final float[] raw;
        final float[] u;

        Entry(int rawSize, int uSize) {
            raw = new float[rawSize];
            u = new float[uSize];
        }
    }

    private final long budgetFloats;
    private final Map<Key, Entry> entries = new HashMap<>();
    private long heldFloats;
    private long transforms;

    /** A cache of at most {@code budgetFloats} floats (raw copies and transformed weights together). */
    public TransformedWeights(long budgetFloats) {
        if (budgetFloats < 0) {
            throw new IllegalArgumentException("TransformedWeights budget: expected 0 or more floats, got "
                    + budgetFloats);
        }
        this.budgetFloats = budgetFloats;
    }

    /**
     * A cache of at most 1/16 of the heap's maximum size divided by the available processors: with one inference
     * tape per task thread and no more task threads than processors (Spark's {@code local[*]}, or
     * {@code spark.executor.cores} on a cluster), all of them together hold at most a sixteenth of the heap.
     * unet-small's 36 layers on Winograd keep 6,566,400 floats (26 MB: 36 transformed values per channel pair,
     * rows padded to the product's blocks, and 9 raw ones), so all of them are kept from a heap of 420 MB per
     * processor.
     */
    public static TransformedWeights ofHeapShare() {
        Runtime runtime = Runtime.getRuntime();
        return new TransformedWeights(runtime.maxMemory() / HEAP_FRACTION / runtime.availableProcessors()
                / Float.BYTES);
    }

    public long budgetFloats() {
        return budgetFloats;
    }

    /** Floats the entries hold now. */
    public long heldFloats() {
        return heldFloats;
    }

    /** Weight transforms this cache has run: one per layer while the weights stay the same. */
    public long transforms() {
        return transforms;
    }

    /**
     * The forward pass's packed U for g's kernels at {@code w[wOff ..]} as they are now, or null when they do not
     * fit the budget (the caller transforms them itself).
     */
    float[] forward(Conv2d.Geometry g, float[] w, int wOff) {
        int rawSize = g.cout() * g.cin() * 9;
        Key key = new Key(w, wOff, g.cout(), g.cin());
        Entry e = entries.get(key);
        if (e != null && Arrays.equals(w, wOff, wOff + rawSize, e.raw, 0, rawSize)) {
            return e.u;
        }
        if (e == null) {
            int uSize = Winograd.forwardWeightsSize(g);
            long size = (long) rawSize + uSize;
            if (heldFloats + size > budgetFloats) {
                return null;
            }
            e = new Entry(rawSize, uSize);
            entries.put(key, e);
            heldFloats += size;
        }
        System.arraycopy(w, wOff, e.raw, 0, rawSize);
        Winograd.transformForward(g, e.raw, 0, e.u);
        transforms++;
        return e.u;
    }
}
