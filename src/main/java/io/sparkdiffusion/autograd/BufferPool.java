package io.sparkdiffusion.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Float arrays recycled by exact length. A training step asks for the same sizes in the same order every
 * time, so after the first step every request is served from the free lists: fresh large arrays cost page
 * faults on every step otherwise.
 */
final class BufferPool {
    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private final List<float[]> lent = new ArrayList<>();
    private long allocatedArrays;
    private long allocatedFloats;

    /** An array of exactly {@code size} floats with arbitrary contents, lent until {@link #releaseAll()}. */
    float[] take(int size) {
        float[] a = takeLoose(size);
        lent.add(a);
        return a;
    }

    /**
     * A zero-filled array the caller returns with {@link #giveBack} (not released by {@link #releaseAll()}):
     * gradients of intermediate nodes live only while backward passes through them.
     */
    float[] takeLooseZeroed(int size) {
        float[] a = poll(size);
        if (a == null) {
            return allocate(size);
        }
        java.util.Arrays.fill(a, 0f);
        return a;
    }

    /** As {@link #takeLooseZeroed}, but holding whatever it held last: for a caller that writes every element. */
    float[] takeLoose(int size) {
        float[] a = poll(size);
        return a != null ? a : allocate(size);
    }

    /** A free array of exactly {@code size} floats, or null. */
    private float[] poll(int size) {
        ArrayDeque<float[]> queue = free.get(size);
        return queue == null ? null : queue.pollLast();
    }

    private float[] allocate(int size) {
        countAllocation(size);
        return new float[size];
    }

    /** Returns an array from {@link #takeLooseZeroed} or {@link #takeLoose} to the free lists. */
    void giveBack(float[] a) {
        free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
    }

    /** Like {@link #take} but zero-filled. */
    float[] takeZeroed(int size) {
        float[] a = take(size);
        java.util.Arrays.fill(a, 0f);
        return a;
    }

    /** Number of arrays lent so far; a mark for {@link #releaseSince}. */
    int mark() {
        return lent.size();
    }

    /** Returns the arrays lent since {@code mark} to the free lists, except those in {@code keep}. */
    void releaseSince(int mark, IdentityHashMap<float[], Boolean> keep) {
        int write = mark;
        for (int i = mark; i < lent.size(); i++) {
            float[] a = lent.get(i);
            if (keep.containsKey(a)) {
                lent.set(write++, a);
            } else {
                free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
            }
        }
        lent.subList(write, lent.size()).clear();
    }

    /** Every lent array becomes free again. */
    void releaseAll() {
        for (float[] a : lent) {
            free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
        }
        lent.clear();
    }

    long allocatedArrays() {
        return allocatedArrays;
    }

    long allocatedFloats() {
        return allocatedFloats;
    }

    /** Counts a fresh array made outside {@link #take} (the scratch buffer). */
    void countAllocation(int size) {
        allocatedArrays++;
        allocatedFloats += size;
    }
}
