/**
 * Partition-local training and the parameter-averaging driver, in plain Java (no Spark).
 *
 * <p>A training round starts from one flat weight vector (and optimizer state); each partition runs
 * {@code localSteps} optimizer steps on its own shard ({@link io.sparkdiffusion.train.LocalTrainer}); the
 * partitions' results are summed weighted by the images each trained on ({@link io.sparkdiffusion.train.WeightedSum})
 * and the driver divides, updates the EMA and records the round ({@link io.sparkdiffusion.train.TrainingState}).
 * {@link io.sparkdiffusion.train.LocalTrainingLoop} is the same computation on one machine without Spark: with one
 * partition the Spark trainer reproduces it bit for bit.
 *
 * <p>Every random draw comes from a {@link java.util.SplittableRandom} seeded by {@link io.sparkdiffusion.train.Seeds}
 * from (seed, global step, partition), so a retried task repeats its work exactly.
 *
 * <p>What crosses processes (the broadcast {@link io.sparkdiffusion.train.RoundStart}, the task results
 * {@link io.sparkdiffusion.train.PartitionResult} inside a {@link io.sparkdiffusion.train.WeightedSum}, the cached
 * {@link io.sparkdiffusion.train.Shard}s) goes through {@code spark.serializer}. Kryo, Spark's other serializer,
 * builds objects field by field, which a record does not allow ("can't get field offset on a record class"), so
 * every serializable record here names Kryo's {@code JavaSerializer} as its default serializer: Kryo then uses Java
 * serialization (the canonical constructor) for it, without any registrator of ours. The annotation only needs Kryo
 * (a Spark dependency) at compile time; without Kryo at run time it is ignored.
 */
package io.sparkdiffusion.train;
