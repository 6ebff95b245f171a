package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.optim.GradClipping;

import io.sparkdiffusion.nn.optim.Optimizer;
import java.util.SplittableRandom;

/**
 * The optimizer steps one partition runs on its shard. Everything random about step {@code k} on partition
 * {@code p} comes from {@code Seeds.step(seed, k, p)}, so the result is a pure function of the inputs.
 */
public final class LocalTrainer {

    private LocalTrainer() {
    }

    /**
     * Runs {@code numSteps} optimizer steps from global step {@code startStep} on a copy of the given weights
     * and state. An empty shard trains on nothing and reports 0 images.
     *
     * @param params         the round's starting weights; not modified
     * @param optimizerState the round's starting optimizer state; not modified
     */
    public static PartitionResult run(Objective objective, TrainingConfig config, Shard shard, int partition,
                                      float[] params, float[] optimizerState, long startStep, int numSteps) {
        long start = System.nanoTime();
        float[] w = params.clone();
        if (shard.size() == 0) {
            return new PartitionResult(partition, w, optimizerState.clone(), 0, 0, System.nanoTime() - start);
        }
        Optimizer.Stepper stepper = config.optimizer().resume(optimizerState, startStep, w.length, config.learningRate());
        float[] grads = new float[w.length];
        double lossSum = 0;
        long images = 0;
        long allocatedBefore = StepAllocation.allocatedBytes();
        for (int k = 0; k < numSteps; k++) {
            int batch = Math.min(config.batchSize(), shard.size());
            double loss = tryStep(objective, config, shard, partition, w, grads, stepper, startStep + k);
            lossSum += loss * batch;
            images += batch;
            if (!Double.isFinite(loss)) {
                // Diverged: a retry would only repeat it, so report it (the NaN loss sum) for the driver to
                // discard the round, instead of throwing.
                break;
            }
        }
        StepAllocation.check(allocatedBefore, images);
        return new PartitionResult(partition, w, stepper.state(), images, lossSum, System.nanoTime() - start);
    }

    /**
     * This partition's part of step {@code globalStep} of {@link SyncMode#GRADIENTS}: each group of the shard draws
     * one image with its noise from {@link Seeds#groupStep}, and the batch of those images (in group order) gives its
     * mean loss and gradient. The result carries the gradient in place of weights, the batch size as its images (so
     * the image-weighted mean over partitions is the global batch's mean gradient) and an empty optimizer state; the
     * driver clips and steps. An empty shard trains on nothing and reports 0 images.
     *
     * @param params the step's weights; not modified
     */
    public static PartitionResult gradient(Objective objective, TrainingConfig config, Shard shard, int partition,
                                           float[] params, long globalStep) {
        long start = System.nanoTime();
        float[] grads = new float[params.length];
        if (shard.size() == 0) {
            return new PartitionResult(partition, grads, new float[0], 0, 0, System.nanoTime() - start);
        }
        if (!shard.grouped()) {
            throw new IllegalArgumentException("syncMode gradients needs the images grouped (DiffusionTrainer does it);"
                    + " partition " + partition + " holds an ungrouped " + shard);
        }
        int groups = shard.groupIds().length;
        int[] indices = new int[groups];
        SplittableRandom[] randoms = new SplittableRandom[groups];
        for (int g = 0; g < groups; g++) {
            randoms[g] = new SplittableRandom(Seeds.groupStep(config.seed(), globalStep, shard.groupIds()[g]));
            int from = shard.groupStarts()[g];
            indices[g] = from + randoms[g].nextInt(shard.groupStarts()[g + 1] - from);
        }
        double loss = objective.lossAndGradient(params, grads, shard.select(indices), randoms);
        return new PartitionResult(partition, grads, new float[0], groups, loss * groups, System.nanoTime() - start);
    }

    /**
     * One optimizer step: draw the batch, compute the loss and gradient, clip, update in place.
     *
     * @param globalStep the step's index over the whole run, from 0
     * @return the batch-mean loss before the update
     */
    public static double step(Objective objective, TrainingConfig config, Shard shard, int partition, float[] params,
                              float[] grads, Optimizer.Stepper optimizer, long globalStep) {
        double loss = tryStep(objective, config, shard, partition, params, grads, optimizer, globalStep);
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("training diverged: loss is " + loss + " at step " + globalStep
                    + " on partition " + partition + " (try a lower learningRate or set gradClip)");
        }
        return loss;
    }

    /** {@link #step}, except that a non-finite loss is returned (and the weights left as they were), not thrown. */
    static double tryStep(Objective objective, TrainingConfig config, Shard shard, int partition, float[] params,
                          float[] grads, Optimizer.Stepper optimizer, long globalStep) {
        SplittableRandom random = new SplittableRandom(Seeds.step(config.seed(), globalStep, partition));
        Batch batch = shard.select(batchIndices(shard.size(), config.batchSize(), random));
        double loss = objective.lossAndGradient(params, grads, batch, random);
        if (!Double.isFinite(loss)) {
            return loss;
        }
        applyStep(config, params, grads, optimizer, globalStep);
        return loss;
    }

    /**
     * The update of step {@code globalStep} (from 0) from its gradient: clip {@code grads} in place to
     * {@code gradClip} (when set), then one optimizer step at that step's learning rate. A partition's own steps and
     * the driver's step of {@link SyncMode#GRADIENTS} both go through here.
     */
    public static void applyStep(TrainingConfig config, float[] params, float[] grads, Optimizer.Stepper optimizer,
                                 long globalStep) {
        if (config.gradClip() > 0) {
            GradClipping.clipGradNormInPlace(grads, config.gradClip());
        }
        optimizer.stepInPlace(params, grads, config.learningRateAt(globalStep + 1));
    }

    /**
     * {@code min(batchSize, size)} distinct indices: all of {@code 0 .. size-1} in order when the shard is no larger
     * than a batch, otherwise the first {@code batchSize} positions of a Fisher-Yates shuffle.
     */
    static int[] batchIndices(int size, int batchSize, SplittableRandom random) {
        int[] all = new int[size];
        for (int i = 0; i < size; i++) {
            all[i] = i;
        }
        if (size <= batchSize) {
            return all;
        }
        for (int i = 0; i < batchSize; i++) {
            int j = i + random.nextInt(size - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, batchSize);
    }
}
