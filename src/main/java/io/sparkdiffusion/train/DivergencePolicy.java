package io.sparkdiffusion.train;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;
import java.util.Locale;

/**
 * What the driver does when a round diverges (a NaN or infinite loss, weight or optimizer state). The round is
 * always discarded: its results never replace the last good state, so no NaN reaches a checkpoint or a model.
 * Then either
 * <ul>
 *   <li>{@link Action#STOP}: fail with a {@link TrainingDivergedException} that names the round, the problem and
 *       the last good checkpoint; or</li>
 *   <li>{@link Action#BACKOFF}: multiply the learning rate by {@code learningRateBackoff} for the rest of the run
 *       (it is saved in checkpoints) and run the round again from the last good state, at most
 *       {@code maxBackoffs} times per run; one more divergence then stops as above.</li>
 * </ul>
 *
 * @param action              stop or back off
 * @param learningRateBackoff the factor the learning rate is multiplied by on each backoff, in (0, 1)
 * @param maxBackoffs         the most backoffs in one run (resumed runs count again from 0), &gt;= 1
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record DivergencePolicy(Action action, double learningRateBackoff, int maxBackoffs) implements Serializable {

    /** The two reactions to a diverged round. */
    public enum Action {
        STOP, BACKOFF;

        /** The setting's name: {@code stop} or {@code backoff}. */
        public String settingName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code stop} or {@code backoff} (any case); the error lists the allowed values. */
        public static Action parse(String name) {
            for (Action a : values()) {
                if (a.settingName().equalsIgnoreCase(name == null ? "" : name.strip())) {
                    return a;
                }
            }
            throw new IllegalArgumentException("onDivergence must be one of [stop, backoff], got '" + name + "'");
        }
    }

    /** Stop at the first diverged round. */
    public static final DivergencePolicy STOP = new DivergencePolicy(Action.STOP, 0.5, 1);

    public DivergencePolicy {
        if (action == null) {
            throw new IllegalArgumentException("onDivergence must be one of [stop, backoff], got null");
        }
        if (!(learningRateBackoff > 0 && learningRateBackoff < 1)) {
            throw new IllegalArgumentException("learningRateBackoff must be in (0, 1), got " + learningRateBackoff);
        }
        if (maxBackoffs < 1) {
            throw new IllegalArgumentException("maxBackoffs must be >= 1, got " + maxBackoffs);
        }
    }

    /** Whether a run that has backed off {@code backoffsSoFar} times may back off once more. */
    public boolean mayBackOff(int backoffsSoFar) {
        return action == Action.BACKOFF && backoffsSoFar < maxBackoffs;
    }

    /**
     * The first non-finite value among a round's results, described for an error message, or {@code null} when
     * the round is sound.
     *
     * @param meanLoss       the round's mean loss
     * @param params         the averaged weights
     * @param optimizerState the averaged optimizer state, or null
     */
    public static String problem(double meanLoss, float[] params, float[] optimizerState) {
        if (!Double.isFinite(meanLoss)) {
            return "the mean loss is " + meanLoss;
        }
        String p = firstNonFinite("weight", params);
        return p != null ? p : firstNonFinite("optimizer state entry", optimizerState);
    }

    /** {@code "weight 12 of 3400 is NaN (and 7 more are not finite)"}, or null if all are finite (or a is null). */
    public static String firstNonFinite(String what, float[] a) {
        if (a == null) {
            return null;
        }
        int first = -1;
        int count = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) {
                if (first < 0) {
                    first = i;
                }
                count++;
            }
        }
        if (first < 0) {
            return null;
        }
        return what + " " + first + " of " + a.length + " is " + a[first]
                + (count > 1 ? " (and " + (count - 1) + " more are not finite)" : "");
    }
}
