package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.sparkdiffusion.nn.optim.Optimizer;
import java.io.Serializable;

/**
 * The settings of partition-local training and of the averaging driver.
 *
 * @param batchSize             images per optimizer step on each partition (when {@code globalBatchSize} is 0)
 * @param localSteps            optimizer steps each partition runs between two averagings (one round)
 * @param learningRate          the peak learning rate
 * @param warmupSteps           the learning rate ramps linearly over the first {@code warmupSteps} steps:
 *                              {@code lr(k) = learningRate * min(1, k / warmupSteps)} for step {@code k >= 1};
 *                              0 disables the ramp
 * @param gradClip              the largest global L2 norm of a step's gradient (larger ones are scaled down);
 *                              0 disables clipping
 * @param optimizer             the update rule
 * @param emaHalfLifeImages     the EMA of the weights halves its memory every this many trained images:
 *                              {@code ema <- beta ema + (1 - beta) w} with {@code beta = 0.5^(images / halfLife)}
 *                              after each round; 0 makes the EMA equal the weights
 * @param emaRampupRatio        EDM's EMA ramp-up: the half-life is at most this fraction of the images trained so
 *                              far (so short runs still average recent weights); 0 disables the ramp-up
 * @param averageOptimizerState whether the optimizer state is averaged across partitions like the weights;
 *                              if not, each partition keeps its own state from round to round
 * @param seed                  the run's seed (see {@link Seeds})
 * @param outerOptimizer        what the driver makes of the partitions' mean weights after each round
 *                              ({@link OuterOptimizer}: plain averaging or DiLoCo's Nesterov step)
 * @param globalBatchSize       images per optimizer step summed over the partitions, split over them by
 *                              {@link #batchSizes(int)} in place of {@code batchSize}; 0: {@code batchSize} on each
 * @param syncMode              what partitions and driver exchange ({@link SyncMode}): weights after {@code localSteps}
 *                              steps, or gradients every step ({@code localSteps} 1, {@code globalBatchSize} set,
 *                              the optimizer state averaged, i.e. kept by the driver, plain averaging)
 * @param cosineSteps           0: the learning rate stays at its peak after the warm-up; otherwise it follows a
 *                              half cosine over this many steps (the run's length), see {@link #learningRateAt}
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record TrainingConfig(int batchSize, int localSteps, double learningRate, long warmupSteps, double gradClip,
                             Optimizer optimizer, double emaHalfLifeImages,
                             double emaRampupRatio, boolean averageOptimizerState, long seed,
                             OuterOptimizer outerOptimizer, int globalBatchSize, SyncMode syncMode,
                             long cosineSteps)
        implements Serializable {

    /** These settings without a learning-rate decay. */
    public TrainingConfig(int batchSize, int localSteps, double learningRate, long warmupSteps, double gradClip,
                          Optimizer optimizer, double emaHalfLifeImages, double emaRampupRatio,
                          boolean averageOptimizerState, long seed, OuterOptimizer outerOptimizer, int globalBatchSize,
                          SyncMode syncMode) {
        this(batchSize, localSteps, learningRate, warmupSteps, gradClip, optimizer, emaHalfLifeImages, emaRampupRatio,
                averageOptimizerState, seed, outerOptimizer, globalBatchSize, syncMode, 0);
    }

    /** These settings exchanging weights after each round ({@link SyncMode#WEIGHTS}). */
    public TrainingConfig(int batchSize, int localSteps, double learningRate, long warmupSteps, double gradClip,
                          Optimizer optimizer, double emaHalfLifeImages, double emaRampupRatio,
                          boolean averageOptimizerState, long seed, OuterOptimizer outerOptimizer, int globalBatchSize) {
        this(batchSize, localSteps, learningRate, warmupSteps, gradClip, optimizer, emaHalfLifeImages, emaRampupRatio,
                averageOptimizerState, seed, outerOptimizer, globalBatchSize, SyncMode.WEIGHTS);
    }

    /** These settings with {@code batchSize} on every partition ({@code globalBatchSize} 0). */
    public TrainingConfig(int batchSize, int localSteps, double learningRate, long warmupSteps, double gradClip,
                          Optimizer optimizer, double emaHalfLifeImages, double emaRampupRatio,
                          boolean averageOptimizerState, long seed, OuterOptimizer outerOptimizer) {
        this(batchSize, localSteps, learningRate, warmupSteps, gradClip, optimizer, emaHalfLifeImages, emaRampupRatio,
                averageOptimizerState, seed, outerOptimizer, 0);
    }

    /** These settings with plain averaging after each round ({@link OuterOptimizer#AVERAGE}). */
    public TrainingConfig(int batchSize, int localSteps, double learningRate, long warmupSteps, double gradClip,
                          Optimizer optimizer, double emaHalfLifeImages, double emaRampupRatio,
                          boolean averageOptimizerState, long seed) {
        this(batchSize, localSteps, learningRate, warmupSteps, gradClip, optimizer, emaHalfLifeImages, emaRampupRatio,
                averageOptimizerState, seed, OuterOptimizer.AVERAGE);
    }

    public TrainingConfig {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (localSteps < 1) {
            throw new IllegalArgumentException("localSteps must be >= 1, got " + localSteps);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be a finite number > 0, got " + learningRate);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
        }
        if (!(gradClip >= 0)) {
            throw new IllegalArgumentException("gradClip must be >= 0 (0 disables clipping), got " + gradClip);
        }
        if (!(emaHalfLifeImages >= 0)) {
            throw new IllegalArgumentException("emaHalfLifeImages must be >= 0 (0 disables the EMA), got "
                    + emaHalfLifeImages);
        }
        if (!(emaRampupRatio >= 0) || Double.isInfinite(emaRampupRatio)) {
            throw new IllegalArgumentException("emaRampupRatio must be >= 0 and finite (0 disables the ramp-up), got "
                    + emaRampupRatio);
        }
        if (optimizer == null) {
            throw new IllegalArgumentException("optimizer must be set");
        }
        if (outerOptimizer == null) {
            throw new IllegalArgumentException("outerOptimizer must be set (OuterOptimizer.AVERAGE for plain averaging)");
        }
        if (globalBatchSize < 0) {
            throw new IllegalArgumentException("globalBatchSize must be >= 0 (0: batchSize on each partition), got "
                    + globalBatchSize);
        }
        if (cosineSteps < 0) {
            throw new IllegalArgumentException("cosineSteps must be >= 0 (0: no decay), got " + cosineSteps);
        }
        if (syncMode == null) {
            throw new IllegalArgumentException("syncMode must be set (SyncMode.WEIGHTS for parameter averaging)");
        }
        if (syncMode == SyncMode.GRADIENTS) {
            String why = "syncMode gradients averages the partitions' gradients every step and the driver steps";
            if (localSteps != 1) {
                throw new IllegalArgumentException(why + ", so there are no local steps: set localSteps to 1, got "
                        + localSteps + " (or use syncMode weights for rounds of local steps)");
            }
            if (globalBatchSize == 0) {
                throw new IllegalArgumentException(why + " on one global batch: set globalBatchSize (the images of a "
                        + "step over all partitions, e.g. 64), not batchSize per partition");
            }
            if (!averageOptimizerState) {
                throw new IllegalArgumentException(why + " with the one optimizer state it keeps: set "
                        + "averageOptimizerState to true (partitions keep no state of their own in this mode)");
            }
            if (outerOptimizer.hasMomentum()) {
                throw new IllegalArgumentException(why + " itself: outerOptimizer " + outerOptimizer.settingName()
                        + " applies to syncMode weights; set outerOptimizer to average");
            }
        }
    }

    /**
     * The batch of each of {@code partitions} partitions: {@code batchSize} on each when {@code globalBatchSize} is
     * 0; otherwise {@code globalBatchSize} split as evenly as it goes, the first {@code globalBatchSize % partitions}
     * partitions taking one image more (the round's average weights each partition by its images).
     *
     * @throws IllegalArgumentException when {@code globalBatchSize} is smaller than {@code partitions}
     */
    public int[] batchSizes(int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        int[] sizes = new int[partitions];
        if (globalBatchSize == 0) {
            java.util.Arrays.fill(sizes, batchSize);
            return sizes;
        }
        if (globalBatchSize < partitions) {
            throw new IllegalArgumentException("globalBatchSize " + globalBatchSize + " is smaller than the "
                    + partitions + " partitions of the training data, so some partition would step on no images: "
                    + "set globalBatchSize to at least " + partitions + ", or train on fewer partitions");
        }
        for (int p = 0; p < partitions; p++) {
            sizes[p] = globalBatchSize / partitions + (p < globalBatchSize % partitions ? 1 : 0);
        }
        return sizes;
    }

    /** How {@link #batchSizes(int)} splits the batch, for a log line: "8 images on each of 8 partitions". */
    public String batchDescription(int partitions) {
        int[] sizes = batchSizes(partitions);
        int larger = globalBatchSize == 0 ? 0 : globalBatchSize % partitions;
        if (larger == 0) {
            return sizes[0] + " images on each of " + partitions + " partitions";
        }
        return sizes[0] + " images on each of the first " + larger + " partitions and " + sizes[partitions - 1]
                + " on the other " + (partitions - larger);
    }

    /** The settings partition {@code partition} of {@code partitions} trains with: its own batch, no global one. */
    public TrainingConfig forPartition(int partition, int partitions) {
        if (globalBatchSize == 0 || syncMode == SyncMode.GRADIENTS) { // gradients: the batch is the shard's groups
            return this;
        }
        return new TrainingConfig(batchSizes(partitions)[partition], localSteps, learningRate, warmupSteps, gradClip,
                optimizer, emaHalfLifeImages, emaRampupRatio, averageOptimizerState, seed, outerOptimizer, 0, syncMode,
                cosineSteps);
    }

    /** These settings with another peak learning rate (a divergence backoff). */
    public TrainingConfig withLearningRate(double rate) {
        return new TrainingConfig(batchSize, localSteps, rate, warmupSteps, gradClip, optimizer, emaHalfLifeImages,
                emaRampupRatio, averageOptimizerState, seed, outerOptimizer, globalBatchSize, syncMode, cosineSteps);
    }

    /**
     * These settings for a short round of post-local SGD ({@code shortRoundImages}): one local step, plainly averaged
     * ({@link OuterOptimizer#AVERAGE}), the partitions' outer steps ({@link Optimizer.Lookahead}) paused; the learning
     * rate and its schedule stay as they are.
     */
    public TrainingConfig shortRound() {
        Optimizer paused = optimizer instanceof Optimizer.Lookahead l ? l.withPaused(true) : optimizer;
        return new TrainingConfig(batchSize, 1, learningRate, warmupSteps, gradClip, paused, emaHalfLifeImages,
                emaRampupRatio, averageOptimizerState, seed, OuterOptimizer.AVERAGE, globalBatchSize, syncMode,
                cosineSteps);
    }

    /** These settings with the learning rate decaying over {@code steps} steps (0: no decay). */
    public TrainingConfig withCosineSteps(long steps) {
        return new TrainingConfig(batchSize, localSteps, learningRate, warmupSteps, gradClip, optimizer,
                emaHalfLifeImages, emaRampupRatio, averageOptimizerState, seed, outerOptimizer, globalBatchSize, syncMode,
                steps);
    }

    /**
     * The learning rate of step {@code step} (counting from 1): {@code learningRate * min(1, step / warmupSteps)},
     * times {@code (1 + cos(pi min(step - 1, cosineSteps) / cosineSteps)) / 2} when {@code cosineSteps > 0}
     * (Loshchilov and Hutter 2017's cosine annealing without restarts: the peak at step 1, near 0 at the last
     * step, 0 after it).
     */
    public double learningRateAt(long step) {
        double rate = warmupSteps == 0 ? learningRate : learningRate * Math.min(1.0, (double) step / warmupSteps);
        if (cosineSteps > 0) {
            rate *= 0.5 * (1 + Math.cos(Math.PI * Math.min(step - 1, cosineSteps) / cosineSteps));
        }
        return rate;
    }
}
