package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.Objective;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Point 1 of the fault issue: a task that fails in its first attempt and succeeds on Spark's retry
 * ({@code local[2,4]}: up to 4 attempts) changes nothing. Training and sampling results equal a fault-free run
 * bit for bit, and no row is lost or duplicated.
 */
class TaskRetryTest extends SparkTestBase {
    private static final int SIZE = 8;
    private static final int DIM = SIZE * SIZE;

    /** A failure in the middle of a training round task (its second local step) is retried to the same weights. */
    @Test
    void aTrainingTaskFailingInItsFirstAttemptChangesNothing() {
        DiffusionTrainer trainer = DiffusionTrainerTest.tinyTrainer().setNumRounds(2);
        Dataset<Row> df = TinyData.frame(12, SIZE, 1, 3, 7);
        JavaRDD<Shard> shards = DistributedTraining.shards(df, "tensor", null, DIM, 0);
        try {
            TrainingConfig config = trainer.trainingConfig();
            Objective plain = trainer.objective();
            var clean = DistributedTraining.run(shards, plain, config, TrainingState.initial(plain, config), 2,
                    null, null);
            FaultInjection.FailingObjective.budget = new FaultInjection.Budget(1);
            var faulty = DistributedTraining.run(shards, new FaultInjection.FailingObjective(plain, 1, 2), config,
                    TrainingState.initial(plain, config), 2, null, null);
            assertEquals(1, FaultInjection.FailingObjective.budget.thrown(), "the failure was injected");
            assertArrayEquals(clean.state().params(), faulty.state().params());
            assertArrayEquals(clean.state().ema(), faulty.state().ema());
            assertArrayEquals(clean.state().sharedState(), faulty.state().sharedState());
            assertEquals(clean.summary().totalImages(), faulty.summary().totalImages(), "no partition counted twice");
        } finally {
            shards.unpersist(false);
        }
    }

    /** A failure while the trainer reads its input (building the cached shards) is retried to the same model. */
    @Test
    void aFailedInputTaskOfFitChangesNothing() {
        Dataset<Row> df = TinyData.frame(12, SIZE, 1, 3, 8);
        DiffusionModel clean = DiffusionTrainerTest.tinyTrainer().setNumRounds(1).fit(df);
        FaultInjection.inputBudget = new FaultInjection.Budget(1);
        UserDefinedFunction failOnRead = udf((UDF1<scala.collection.Seq<Object>, scala.collection.Seq<Object>>) t -> {
            FaultInjection.inputBudget.maybeFail(2, "reading training images");
            return t;
        }, DataTypes.createArrayType(DataTypes.FloatType, false));
        DiffusionModel faulty = DiffusionTrainerTest.tinyTrainer().setNumRounds(1)
                .fit(df.withColumn("tensor", failOnRead.apply(col("tensor"))));
        assertEquals(1, FaultInjection.inputBudget.thrown(), "the failure was injected");
        assertArrayEquals(clean.weights(), faulty.weights());
        assertArrayEquals(clean.emaWeights(), faulty.emaWeights());
    }

    /**
     * Sampling one row at a time, partition 1 (seeds 4..7) fails at seed 6, after seeds 4 and 5 were sampled:
     * the retry gives every seed exactly once, with the fault-free samples.
     */
    @Test
    void aSamplingTaskFailingInItsFirstAttemptChangesNothing() {
        DiffusionModel model = DiffusionTrainerTest.tinyTrainer().setNumRounds(1)
                .fit(TinyData.frame(4, SIZE, 1, 1, 5)).setNumSteps(3).setSampleBatchSize(1);
        Dataset<Row> seeds = spark().range(0, 8, 1, 2).withColumnRenamed("id", "seed");
        List<Row> clean = model.transform(seeds).orderBy("seed").collectAsList();
        FaultInjection.inputBudget = new FaultInjection.Budget(1);
        Dataset<Row> faultySeeds = seeds.select(FaultInjection.failingAt(6, 1).apply(col("seed")).as("seed"));
        List<Row> faulty = model.transform(faultySeeds).orderBy("seed").collectAsList();
        assertEquals(1, FaultInjection.inputBudget.thrown(), "the failure was injected");
        assertEquals(8, faulty.size(), "each seed exactly once");
        for (int i = 0; i < 8; i++) {
            assertEquals(i, faulty.get(i).getLong(0));
            assertEquals(clean.get(i).getList(1), faulty.get(i).getList(1), "sample of seed " + i);
        }
    }
}
