/**
 * Spark ML stages: {@link io.sparkdiffusion.spark.ImageTensorizer} (images to CHW tensors),
 * {@link io.sparkdiffusion.spark.ForwardNoiser} (the forward process as a column transform),
 * {@link io.sparkdiffusion.spark.DiffusionTrainer} (parameter-averaging training, one Spark job per round) and
 * {@link io.sparkdiffusion.spark.DiffusionModel} (generation from a seed column).
 *
 * <p>Every stage is MLWritable and MLReadable (a static {@code read()} and {@code load(path)}), so it saves and
 * loads inside a Pipeline and a PipelineModel. A model's weights go under {@code data/} in the chunked,
 * checksummed {@link io.sparkdiffusion.io.WeightsFormat}; nothing is Java-deserialized on load.
 */
package io.sparkdiffusion.spark;
