package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.optim.Ema;
import io.sparkdiffusion.nn.optim.Optimizer;
import java.util.Map;
import java.util.TreeMap;

/**
 * The driver's state between rounds: averaged weights, their EMA, the optimizer state and the step counters.
 * Plain Java, so that the Spark trainer and {@link LocalTrainingLoop} share it.
 */
public final class TrainingState {

    private float[] params;
    private final float[] ema;
    private float[] sharedState;
    private final TreeMap<Integer, float[]> partitionStates;
    private final int stateSize;
    private long step;
    private int round;
    private long imagesSeen;
    private double learningRateScale = 1.0;

    /**
     * A state from its parts (a fresh start or a checkpoint).
     *
     * @param sharedState     the averaged optimizer state, or {@code null} when states are kept per partition
     * @param partitionStates per-partition states (used when {@code sharedState} is null)
     */
    public TrainingState(float[] params, float[] ema, float[] sharedState, Map<Integer, float[]> partitionStates,
                         int stateSize, long step, int round, long imagesSeen) {
        if (ema.length != params.length) {
            throw new IllegalArgumentException("ema holds " + ema.length + " floats, params " + params.length);
        }
        if (sharedState != null && sharedState.length != stateSize) {
            throw new IllegalArgumentException("optimizer state holds " + sharedState.length + " floats, expected "
                    + stateSize);
        }
        this.params = params;
        this.ema = ema;
        this.sharedState = sharedState;
        this.partitionStates = new TreeMap<>(partitionStates);
        this.stateSize = stateSize;
        this.step = step;
        this.round = round;
        this.imagesSeen = imagesSeen;
    }

    /** The state before any training: weights from {@code Seeds.init(seed)}, EMA equal to them, zero optimizer state. */
    public static TrainingState initial(Objective objective, TrainingConfig config) {
        float[] params = new float[objective.numParameters()];
        objective.initialize(params, Seeds.init(config.seed()));
        int stateSize = config.optimizer().stateSize(params.length);
        return new TrainingState(params, params.clone(), config.averageOptimizerState() ? new float[stateSize] : null,
                Map.of(), stateSize, 0, 0, 0);
    }

    /** The broadcast for the next round. */
    public RoundStart roundStart() {
        return new RoundStart(round, step, params, sharedState, partitionStates, stateSize);
    }

    /**
     * Ends a round: the weights (and, if averaged, the optimizer state) become the image-weighted means of the
     * partitions' results, the EMA moves towards the new weights by the round's images, counters advance.
     */
    public void finishRound(RoundResult sum, TrainingConfig config) {
        params = sum.meanParams();
        if (sharedState != null) {
            sharedState = sum.meanOptimizerState();
        } else {
            partitionStates.putAll(sum.partitionStates());
        }
        imagesSeen += sum.images();
        Ema.updateInPlace(ema, params, sum.images(), imagesSeen, config.emaHalfLifeImages(), config.emaRampupRatio());
        step += config.localSteps();
        round++;
    }

    public float[] params() {
        return params;
    }

    public float[] ema() {
        return ema;
    }

    /** The averaged optimizer state, or {@code null} when each partition keeps its own. */
    public float[] sharedState() {
        return sharedState;
    }

    public Map<Integer, float[]> partitionStates() {
        return partitionStates;
    }

    public int stateSize() {
        return stateSize;
    }

    /** Optimizer steps taken per partition so far. */
    public long step() {
        return step;
    }

    /** Rounds finished so far. */
    public int round() {
        return round;
    }

    public long imagesSeen() {
        return imagesSeen;
    }

    /**
     * The factor on the configured learning rate: 1, or less after divergence backoffs
     * ({@link DivergencePolicy}); saved in checkpoints so that a resumed run keeps it.
     */
    public double learningRateScale() {
        return learningRateScale;
    }

    /** Sets the learning-rate factor (after a backoff, or from a checkpoint); in (0, 1]. */
    public void setLearningRateScale(double scale) {
        if (!(scale > 0 && scale <= 1)) {
            throw new IllegalArgumentException("learningRateScale must be in (0, 1], got " + scale);
        }
        this.learningRateScale = scale;
    }
}
