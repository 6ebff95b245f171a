package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.optim.Ema;
import io.sparkdiffusion.nn.optim.Optimizer;
import java.util.Map;
import java.util.TreeMap;

/**
 * The driver's state between rounds: averaged weights, their EMA, the optimizer state, the outer optimizer's
 * momentum ({@link OuterOptimizer}) and the step counters. Plain Java, so that the Spark trainer and
 * {@link LocalTrainingLoop} share it.
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
    /** The outer optimizer's momentum, {@code [params.length]}, or null for plain averaging. */
    private float[] outerMomentum;
    private static final System.Logger LOG = System.getLogger(TrainingState.class.getName());

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

    /**
     * The state before any training: weights from {@code Seeds.init(seed)}, EMA equal to them, zero optimizer state
     * and zero outer momentum (if the outer optimizer keeps one).
     */
    public static TrainingState initial(Objective objective, TrainingConfig config) {
        float[] params = new float[objective.numParameters()];
        objective.initialize(params, Seeds.init(config.seed()));
        int stateSize = config.optimizer().stateSize(params.length);
        TrainingState s = new TrainingState(params, params.clone(),
                config.averageOptimizerState() ? new float[stateSize] : null, Map.of(), stateSize, 0, 0, 0);
        if (config.outerOptimizer().hasMomentum()) {
            s.setOuterMomentum(new float[params.length]);
        }
        return s;
    }

    /** The broadcast for the next round. */
    public RoundStart roundStart() {
        return new RoundStart(round, step, params, sharedState, partitionStates, stateSize);
    }

    /**
     * Ends a round: the weights become the outer optimizer's step from the image-weighted mean of the partitions'
     * weights (the mean itself for plain averaging), the optimizer state (if averaged) their mean, the EMA moves
     * towards the new weights by the round's images, counters advance.
     */
    public void finishRound(RoundResult sum, TrainingConfig config) {
        finishRound(sum, outerStep(sum, config), config);
    }

    /** As {@link #finishRound(RoundResult, TrainingConfig)}, with the round's outer step already computed. */
    public void finishRound(RoundResult sum, OuterOptimizer.Step outer, TrainingConfig config) {
        params = outer.params();
        outerMomentum = outer.momentum();
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

    /**
     * For {@link SyncMode#GRADIENTS}: the round's results (the partitions' image-weighted mean gradient in place of
     * weights) turned into the weights and optimizer state after one optimizer step on that gradient, clipped to
     * {@code gradClip}, at the learning rate of step {@code step() + 1}: what one partition training on the whole
     * global batch would get. {@link #finishRound} then takes it as it takes an averaged round. New arrays; this
     * state does not change.
     */
    public RoundResult gradientStep(RoundResult sum, TrainingConfig config) {
        if (sharedState == null) {
            throw new IllegalStateException("syncMode gradients steps the driver's optimizer state, and this training "
                    + "state keeps one per partition (averageOptimizerState false)");
        }
        Optimizer.Stepper stepper = config.optimizer().resume(sharedState, step, params.length, config.learningRate());
        float[] next = params.clone();
        LocalTrainer.applyStep(config, next, sum.meanParams().clone(), stepper, step);
        float[] nextState = stepper.state();
        return new RoundResult() {
            @Override
            public float[] meanParams() {
                return next;
            }

            @Override
            public float[] meanOptimizerState() {
                return nextState;
            }

            @Override
            public Map<Integer, float[]> partitionStates() {
                return Map.of();
            }

            @Override
            public long images() {
                return sum.images();
            }

            @Override
            public double meanLoss() {
                return sum.meanLoss();
            }

            @Override
            public int partitions() {
                return sum.partitions();
            }

            @Override
            public long maxComputeNanos() {
                return sum.maxComputeNanos();
            }

            @Override
            public long totalComputeNanos() {
                return sum.totalComputeNanos();
            }
        };
    }

    /**
     * The outer step this round's results would give, without changing this state. New arrays each call: the
     * weights the round started from (the broadcast) are never written.
     */
    public OuterOptimizer.Step outerStep(RoundResult sum, TrainingConfig config) {
        OuterOptimizer outer = config.outerOptimizer();
        if (outer.hasMomentum() != (outerMomentum != null)) {
            throw new IllegalStateException("outerOptimizer=" + outer.settingName() + " but the training state "
                    + (outerMomentum == null ? "has no" : "holds an") + " outer momentum: call matchOuterOptimizer"
                    + " after restoring a state");
        }
        return outer.step(params, sum.meanParams(), outerMomentum, roundLearningRate(config));
    }

    /**
     * The mean learning rate of this round's local steps ({@link TrainingConfig#learningRateAt} of steps
     * {@code step() + 1 .. step() + localSteps}), the inner rate an outer step that follows the schedule divides by.
     */
    public double roundLearningRate(TrainingConfig config) {
        double sum = 0;
        for (int k = 1; k <= config.localSteps(); k++) {
            sum += config.learningRateAt(step + k);
        }
        return sum / config.localSteps();
    }

    /**
     * A round averaged plainly whatever the outer optimizer, as post-local SGD's short rounds are
     * ({@code shortRoundImages}): the new weights are the partitions' mean and the outer momentum stays as it was
     * (zeros until the first long round), so that the outer optimizer starts where the short rounds end.
     */
    public OuterOptimizer.Step averageStep(RoundResult sum) {
        return new OuterOptimizer.Step(sum.meanParams(), outerMomentum);
    }

    /**
     * What is not finite in an outer step ({@link DivergencePolicy#firstNonFinite}), or null when it is sound.
     * Plain averaging (no momentum) adds nothing to the check of the mean itself.
     */
    public static String outerProblem(OuterOptimizer.Step outer) {
        if (outer.momentum() == null) {
            return null;
        }
        String problem = DivergencePolicy.firstNonFinite("weight after the outer step", outer.params());
        return problem != null ? problem : DivergencePolicy.firstNonFinite("outer momentum entry", outer.momentum());
    }

    /**
     * Makes a restored state fit the run's outer optimizer. A state without outer momentum (a checkpoint of plain
     * averaging, or one written before outer optimizers) resumed with one that keeps momentum starts from zero
     * momentum, which is logged; a momentum the run's rule does not use is dropped, with a warning.
     */
    public void matchOuterOptimizer(OuterOptimizer outer) {
        if (outer.hasMomentum() && outerMomentum == null) {
            LOG.log(System.Logger.Level.INFO, "the resumed state (round " + round + ") holds no outer momentum: "
                    + "outerOptimizer=" + outer.settingName() + " starts from zero momentum");
            outerMomentum = new float[params.length];
        } else if (!outer.hasMomentum() && outerMomentum != null) {
            LOG.log(System.Logger.Level.WARNING, "the resumed state (round " + round + ") holds an outer momentum, "
                    + "but this run sets outerOptimizer=" + outer.settingName() + ": the momentum is dropped");
            outerMomentum = null;
        }
    }

    public float[] params() {
        return params;
    }

    /** The outer optimizer's momentum, {@code [params.length]}, or null when the outer rule keeps none. */
    public float[] outerMomentum() {
        return outerMomentum;
    }

    /** Sets the outer momentum (a fresh start or a checkpoint); null for none. */
    public void setOuterMomentum(float[] momentum) {
        if (momentum != null && momentum.length != params.length) {
            throw new IllegalArgumentException("outer momentum holds " + momentum.length + " floats, params "
                    + params.length);
        }
        this.outerMomentum = momentum;
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
