package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.Batch;
import io.sparkdiffusion.train.Objective;
import org.apache.spark.TaskContext;

import java.util.SplittableRandom;

/**
 * A synthetic objective of any size with a gradient that costs one pass over the weights: a pull towards a target
 * that depends on the partition's data, {@code L(w) = 1/2 sum_i (w_i - t_i)^2} with {@code t_i = a + offset(i)},
 * {@code a} the mean pixel of the batch (a shard whose pixels all equal {@code a_p} pulls towards its own target)
 * and {@code offset(i) = ((i mod 7) - 3) / 4}. One SGD step at rate {@code lr} gives
 * {@code w <- w - lr (w - t)}, so {@code K} steps from {@code w} give {@code t + (1 - lr)^K (w - t)}: a closed form
 * that a test evaluates in double ({@link #expectedMean}).
 *
 * <p>{@code failPartition >= 0} makes the first attempt of that partition's training task throw after its first
 * step, in every round (attempt numbers are per stage), as a lost executor would: Spark retries it.
 */
public final class QuadraticObjective implements Objective {
    private static final long serialVersionUID = 1L;
    private final int numParameters;
    private final int failPartition;
    private transient int calls;

    public QuadraticObjective(int numParameters, int failPartition) {
        this.numParameters = numParameters;
        this.failPartition = failPartition;
    }

    /** The initial weight {@code i}: {@code ((i mod 1000) - 500) / 1000}, whatever the seed. */
    public static double initial(int i) {
        return ((i % 1000) - 500) / 1000.0;
    }

    /** The target offset of weight {@code i}. */
    public static double offset(int i) {
        return ((i % 7) - 3) / 4.0;
    }

    @Override
    public int numParameters() {
        return numParameters;
    }

    @Override
    public void initialize(float[] params, long seed) {
        for (int i = 0; i < params.length; i++) {
            params[i] = (float) initial(i);
        }
    }

    @Override
    public double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom random) {
        TaskContext task = TaskContext.get();
        if (++calls == 2 && task != null && task.attemptNumber() == 0 && task.partitionId() == failPartition) {
            throw new IllegalStateException("injected task failure (partition " + failPartition + ", attempt 0)");
        }
        double a = 0;
        for (float x : batch.images()) {
            a += x;
        }
        float target = (float) (a / batch.images().length);
        double loss = 0;
        for (int i = 0; i < numParameters; i++) {
            float d = params[i] - (target + (float) offset(i));
            grads[i] = d;
            loss += 0.5 * d * d;
        }
        return loss / numParameters;
    }

    /**
     * The image-weighted mean of weight {@code i} after {@code rounds} rounds of {@code steps} SGD steps at rate
     * {@code lr} from {@link #initial}, in double: partition {@code p} pulls towards {@code pixel[p] + offset(i)}
     * with weight {@code images[p]} (images per round).
     */
    public static double expectedMean(int i, double[] pixel, long[] images, int rounds, int steps, double lr) {
        double decay = Math.pow(1 - lr, steps);
        double total = 0;
        for (long n : images) {
            total += n;
        }
        double m = initial(i);
        for (int r = 0; r < rounds; r++) {
            double sum = 0;
            for (int p = 0; p < pixel.length; p++) {
                double t = pixel[p] + offset(i);
                sum += images[p] * (t + decay * (m - t));
            }
            m = sum / total;
        }
        return m;
    }
}
