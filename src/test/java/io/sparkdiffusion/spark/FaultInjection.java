package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.Batch;
import io.sparkdiffusion.train.Objective;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.apache.spark.sql.functions.udf;

/**
 * Test-only task failures: throw inside the first attempt (attempt 0) of the task of one partition, as a lost
 * executor or a flaky disk would. Counters are static, so they only work where tasks run in the test's JVM
 * ({@code local[n,maxFailures]}), which is exactly where the retry tests run.
 */
public final class FaultInjection {
    /** The message of every injected failure, to tell it apart from a real one. */
    public static final String MESSAGE = "injected task failure";

    private FaultInjection() {
    }

    /** The budget of the UDF-based injections (static: UDFs run on executor threads of this JVM). */
    public static volatile Budget inputBudget = new Budget(0);

    /** An identity UDF on a long column that fails attempt 0 of {@code partition} when it reaches {@code value}. */
    public static UserDefinedFunction failingAt(long value, int partition) {
        return udf((UDF1<Long, Long>) v -> {
            if (v == value) {
                inputBudget.maybeFail(partition, "reading value " + v);
            }
            return v;
        }, DataTypes.LongType);
    }

    /** Whether the calling task is attempt 0 of partition {@code partition}. */
    public static boolean firstAttemptOf(int partition) {
        TaskContext tc = TaskContext.get();
        return tc != null && tc.attemptNumber() == 0 && tc.partitionId() == partition;
    }

    /** A live budget of failures: each injected failure takes one, and tests assert it was used. */
    public static final class Budget implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final AtomicInteger left;
        private final AtomicInteger thrown = new AtomicInteger();

        public Budget(int failures) {
            left = new AtomicInteger(failures);
        }

        /** Throws if the caller is attempt 0 of {@code partition} and failures are left. */
        public void maybeFail(int partition, String where) {
            if (firstAttemptOf(partition) && left.getAndDecrement() > 0) {
                thrown.incrementAndGet();
                throw new IllegalStateException(MESSAGE + " in " + where + " (partition " + partition + ", attempt 0)");
            }
        }

        public int thrown() {
            return thrown.get();
        }
    }

    /**
     * Delegates to {@code delegate}, but the {@code failAtCall}-th gradient of attempt 0 of partition
     * {@code partition} throws (after earlier steps of the same task already ran), while the budget lasts.
     */
    static final class FailingObjective extends ForwardingObjective {
        private static final long serialVersionUID = 1L;
        /** Static: deserialized copies of this objective on the executors must share one budget. */
        static volatile Budget budget = new Budget(0);
        private final int partition;
        private final int failAtCall;
        private transient int calls;

        FailingObjective(Objective delegate, int partition, int failAtCall) {
            super(delegate);
            this.partition = partition;
            this.failAtCall = failAtCall;
        }

        @Override
        public double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom random) {
            if (++calls == failAtCall) {
                budget.maybeFail(partition, "a training step");
            }
            return delegate.lossAndGradient(params, grads, batch, random);
        }
    }

    /** An objective that forwards everything to {@code delegate}; fault-injecting decorators override the loss. */
    abstract static class ForwardingObjective implements Objective {
        private static final long serialVersionUID = 1L;
        protected final Objective delegate;

        ForwardingObjective(Objective delegate) {
            this.delegate = delegate;
        }

        @Override
        public int numParameters() {
            return delegate.numParameters();
        }

        @Override
        public void initialize(float[] params, long seed) {
            delegate.initialize(params, seed);
        }
    }
}
