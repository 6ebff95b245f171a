package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.optim.Ema;
import io.sparkdiffusion.nn.optim.Optimizer;

/**
 * Training on one machine without Spark: a plain loop of optimizer steps over one shard, treated as partition 0.
 *
 * <p>There are no rounds and no averaging; the EMA is updated every {@code localSteps} steps with the images
 * trained since its last update, which is when the distributed trainer updates it. With one partition and plain
 * averaging ({@link OuterOptimizer#AVERAGE}) the Spark trainer gives exactly these weights, bit for bit.
 */
public final class LocalTrainingLoop {

    /**
     * The outcome of a local run.
     *
     * @param params         the final weights
     * @param ema            the final EMA of the weights
     * @param optimizerState the final optimizer state
     * @param stepLosses     the batch-mean loss of each step, in order
     */
    public record Result(float[] params, float[] ema, float[] optimizerState, double[] stepLosses) {
    }

    private LocalTrainingLoop() {
    }

    /** Trains from the seeded initial weights for {@code numSteps} steps. */
    public static Result run(Objective objective, TrainingConfig config, Shard data, int numSteps) {
        if (data.size() == 0) {
            throw new IllegalArgumentException("the training data holds no images");
        }
        if (numSteps < 0) {
            throw new IllegalArgumentException("numSteps must be >= 0, got " + numSteps);
        }
        if (config.outerOptimizer().hasMomentum()) {
            throw new IllegalArgumentException("outerOptimizer=" + config.outerOptimizer().settingName()
                    + " acts on rounds, and a local loop has none: use outerOptimizer=average here");
        }
        if (config.syncMode() == SyncMode.GRADIENTS) {
            throw new IllegalArgumentException("syncMode gradients draws its batches from grouped data, which the Spark "
                    + "trainer (DiffusionTrainer) builds; this local loop trains with syncMode weights");
        }
        config = config.forPartition(0, 1); // a globalBatchSize is this one partition's batch
        float[] params = new float[objective.numParameters()];
        objective.initialize(params, Seeds.init(config.seed()));
        float[] ema = params.clone();
        Optimizer.Stepper optimizer = config.optimizer().resume(new float[config.optimizer().stateSize(params.length)], 0,
                params.length, config.learningRate());
        float[] grads = new float[params.length];
        double[] losses = new double[numSteps];
        long imagesSinceEma = 0;
        long imagesSeen = 0;
        for (int k = 0; k < numSteps; k++) {
            losses[k] = LocalTrainer.step(objective, config, data, 0, params, grads, optimizer, k);
            imagesSinceEma += Math.min(config.batchSize(), data.size());
            imagesSeen += Math.min(config.batchSize(), data.size());
            if ((k + 1) % config.localSteps() == 0) {
                Ema.updateInPlace(ema, params, imagesSinceEma, imagesSeen, config.emaHalfLifeImages(),
                        config.emaRampupRatio());
                imagesSinceEma = 0;
            }
        }
        return new Result(params, ema, optimizer.state(), losses);
    }
}
