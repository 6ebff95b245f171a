package io.sparkdiffusion.train;

import java.util.Map;
import java.util.TreeMap;

/**
 * A round's result assembled on the driver from its averaged slices ({@link SliceMean}), into arrays allocated
 * once: the driver holds one copy of the model, whatever the number of partitions.
 */
public final class SliceMeans implements RoundResult {

    private final SliceLayout layout;
    private final boolean averageOptimizerState;
    private final float[] params;
    private final float[] state;
    private final TreeMap<Integer, float[]> partitionStates = new TreeMap<>();
    private final boolean[] seen;
    private int missing;
    private SliceMean first;

    public SliceMeans(SliceLayout layout, boolean averageOptimizerState) {
        this.layout = layout;
        this.averageOptimizerState = averageOptimizerState;
        this.params = new float[layout.numParameters()];
        this.state = averageOptimizerState ? new float[layout.stateSize()] : null;
        this.seen = new boolean[layout.slices()];
        this.missing = layout.slices();
    }

    /** Copies one averaged slice into place. */
    public void put(SliceMean m) {
        int s = m.slice();
        if (s < 0 || s >= seen.length || seen[s]) {
            throw new IllegalStateException("slice " + s + " of " + seen.length + " arrived " + (seen.length > s && s >= 0
                    ? "twice" : "but is out of range"));
        }
        if (m.images() == 0) {
            throw new IllegalStateException("no partition trained on any image this round: is the training data empty?");
        }
        seen[s] = true;
        missing--;
        if (s == 0) {
            first = m;
        }
        System.arraycopy(m.meanParams(), 0, params, layout.paramStart(s), m.meanParams().length);
        if (averageOptimizerState) {
            System.arraycopy(m.meanState(), 0, state, layout.stateStart(s), m.meanState().length);
        } else {
            for (var e : m.partitionStates().entrySet()) {
                float[] own = partitionStates.computeIfAbsent(e.getKey(), p -> new float[layout.stateSize()]);
                System.arraycopy(e.getValue(), 0, own, layout.stateStart(s), e.getValue().length);
            }
        }
    }

    private void requireComplete() {
        if (missing > 0) {
            throw new IllegalStateException(missing + " of " + seen.length + " slices of the round never arrived");
        }
    }

    @Override
    public float[] meanParams() {
        requireComplete();
        return params;
    }

    @Override
    public float[] meanOptimizerState() {
        requireComplete();
        return state;
    }

    @Override
    public Map<Integer, float[]> partitionStates() {
        requireComplete();
        return partitionStates;
    }

    @Override
    public long images() {
        requireComplete();
        return first.images();
    }

    @Override
    public double meanLoss() {
        requireComplete();
        return first.meanLoss();
    }

    @Override
    public int partitions() {
        requireComplete();
        return first.partitions();
    }

    @Override
    public long maxComputeNanos() {
        requireComplete();
        return first.maxComputeNanos();
    }

    @Override
    public long totalComputeNanos() {
        requireComplete();
        return first.totalComputeNanos();
    }
}
