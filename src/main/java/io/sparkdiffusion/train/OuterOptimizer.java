package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.sparkdiffusion.nn.optim.Optimizer;
import java.io.Serializable;
import java.util.Locale;

/**
 * What the driver makes of a round: the new weights from the weights the round started from ({@code before},
 * the broadcast) and the image-weighted mean of the partitions' weights after it ({@code mean}).
 * <ul>
 *   <li>{@link Average}: the new weights are the mean (plain parameter averaging, FedAvg / local SGD);</li>
 *   <li>{@link Nesterov}: DiLoCo's outer step (Douillard et al. 2023, "DiLoCo: Distributed Low-Communication
 *       Training of Language Models", arXiv:2311.08105, Algorithm 1): the round's pseudo-gradient
 *       {@code delta = before - mean} goes through SGD with Nesterov momentum, in PyTorch's formulation
 *       ({@code torch.optim.SGD(nesterov=True)}, dampening 0, no weight decay):
 *       <pre>
 *   v      = mu v + delta
 *   params = before - lr (delta + mu v)
 *       </pre>
 *       With {@code lr = 1, mu = 0} this is plain averaging. DiLoCo's outer settings are {@code lr = 0.7},
 *       {@code mu = 0.9} ({@link #DILOCO_LEARNING_RATE}, {@link #DILOCO_MOMENTUM}).
 *       <p>With {@code followsSchedule} (SlowMo's scaling, Wang et al. 2020, "SlowMo: Improving
 *       Communication-Efficient Distributed SGD with Slow Momentum", arXiv:1910.00643, Algorithm 1) the momentum
 *       holds the rounds' changes divided by the round's inner learning rate {@code gamma} (the mean of its local
 *       steps' rates), and the step multiplies back by the current round's:
 *       <pre>
 *   v      = mu v + delta / gamma
 *   params = before - lr gamma (delta / gamma + mu v)
 *       </pre>
 *       With a constant inner rate this is the step above; when the inner rate decays (warm-up, cosine) the
 *       momentum's share of the step decays with it, where DiLoCo's step keeps applying changes made at the higher
 *       rates of earlier rounds.</li>
 * </ul>
 * The momentum {@code v} is driver state, one float per weight, kept between rounds in {@link TrainingState} and in
 * checkpoints; it never crosses to the executors. Each element is computed in double from the float inputs and
 * rounded to float once, so the result depends on nothing but the inputs (no order of summation, no threads).
 */
public sealed interface OuterOptimizer extends Serializable permits OuterOptimizer.Average, OuterOptimizer.Nesterov {

    /** The names {@link #parse} accepts. */
    String[] NAMES = {"average", "nesterov"};

    /** DiLoCo's outer learning rate (Douillard et al. 2023). */
    double DILOCO_LEARNING_RATE = 0.7;

    /** DiLoCo's outer Nesterov momentum (Douillard et al. 2023). */
    double DILOCO_MOMENTUM = 0.9;

    /** Plain averaging, the behaviour before outer optimizers. */
    Average AVERAGE = new Average();

    /** The setting's name: {@code average} or {@code nesterov}. */
    String settingName();

    /** Whether this rule keeps a momentum buffer (one float per weight) between rounds. */
    boolean hasMomentum();

    /**
     * The outer update of one round. Reads its arguments, never writes them: a round that turns out to have
     * diverged is discarded without a trace.
     *
     * @param before   the weights the round started from
     * @param mean     the image-weighted mean of the partitions' weights after the round
     * @param momentum the momentum after the previous round (zeros before the first), or null when
     *                 {@link #hasMomentum()} is false
     * @param innerLearningRate the mean learning rate of the round's local steps, finite and {@code > 0} (only a
     *                 rule that follows the schedule reads it)
     * @return the new weights and momentum (fresh arrays, or {@code mean} itself for {@link Average})
     */
    Step step(float[] before, float[] mean, float[] momentum, double innerLearningRate);

    /**
     * The result of an outer step.
     *
     * @param params   the new weights
     * @param momentum the new momentum, or null for a rule without one
     */
    record Step(float[] params, float[] momentum) {
    }

    /** The new weights are the partitions' mean. */
    @DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
    record Average() implements OuterOptimizer {
        @Override
        public String settingName() {
            return "average";
        }

        @Override
        public boolean hasMomentum() {
            return false;
        }

        @Override
        public Step step(float[] before, float[] mean, float[] momentum, double innerLearningRate) {
            requireSameLength(before, mean);
            return new Step(mean, null);
        }
    }

    /**
     * SGD with Nesterov momentum on the round's pseudo-gradient {@code before - mean}.
     *
     * @param learningRate    the outer learning rate, finite and {@code > 0} (DiLoCo: 0.7)
     * @param momentum        the momentum {@code mu}, in [0, 1) (DiLoCo: 0.9)
     * @param followsSchedule whether the momentum is kept in units of the inner learning rate (SlowMo's scaling,
     *                        see the interface's javadoc); false is DiLoCo's step
     */
    @DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
    record Nesterov(double learningRate, double momentum, boolean followsSchedule) implements OuterOptimizer {
        /** DiLoCo's step, at a fixed rate. */
        public Nesterov(double learningRate, double momentum) {
            this(learningRate, momentum, false);
        }

        public Nesterov {
            Optimizer.Lookahead.checkOuterSettings(learningRate, momentum);
        }

        @Override
        public String settingName() {
            return "nesterov";
        }

        @Override
        public boolean hasMomentum() {
            return true;
        }

        @Override
        public Step step(float[] before, float[] mean, float[] v, double innerLearningRate) {
            requireSameLength(before, mean);
            if (v == null || v.length != before.length) {
                throw new IllegalArgumentException("nesterov outer momentum: expected " + before.length + " floats, got "
                        + (v == null ? "none" : v.length));
            }
            if (followsSchedule && !(innerLearningRate > 0 && innerLearningRate < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("nesterov outer step following the schedule: the round's inner "
                        + "learning rate must be finite and > 0, got " + innerLearningRate);
            }
            // gamma = 1 is DiLoCo's step exactly: dividing and multiplying by 1 changes no bit.
            double gamma = followsSchedule ? innerLearningRate : 1.0;
            float[] params = new float[before.length];
            float[] nextV = new float[before.length];
            Optimizer.Lookahead.nesterov(before, mean, v, learningRate, momentum, gamma, params, nextV);
            return new Step(params, nextV);
        }
    }

    /**
     * The rule named {@code name} ({@code average} or {@code nesterov}, any case); {@code nesterov} takes the given
     * learning rate and momentum, {@code average} ignores them. The error lists the allowed names.
     */
    static OuterOptimizer parse(String name, double learningRate, double momentum) {
        return parse(name, learningRate, momentum, false);
    }

    /** As {@link #parse(String, double, double)}, with {@code nesterov}'s {@code followsSchedule}. */
    static OuterOptimizer parse(String name, double learningRate, double momentum, boolean followsSchedule) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "average" -> AVERAGE;
            case "nesterov" -> new Nesterov(learningRate, momentum, followsSchedule);
            default -> throw new IllegalArgumentException("outerOptimizer must be one of [average, nesterov], got '"
                    + name + "'");
        };
    }

    private static void requireSameLength(float[] before, float[] mean) {
        if (before.length != mean.length) {
            throw new IllegalArgumentException("outer step: the round started from " + before.length
                    + " weights but the partitions' mean holds " + mean.length);
        }
    }
}
