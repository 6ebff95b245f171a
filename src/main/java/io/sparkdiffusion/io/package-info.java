/**
 * Every file format: IDX arrays ({@link io.sparkdiffusion.io.Idx}), PNG and JPEG decoding into planar pixels
 * ({@link io.sparkdiffusion.io.ImageConversion}), PNG images of CHW tensors ({@link io.sparkdiffusion.io.Png}),
 * image grids and the loss-curve plot, weights files ({@link io.sparkdiffusion.io.WeightsFormat} over a
 * {@link io.sparkdiffusion.io.BlobStore}), the checkpoint directory layout
 * ({@link io.sparkdiffusion.io.CheckpointLayout}), and one Hadoop {@code FileSystem} path for {@code file://},
 * {@code hdfs://} and {@code s3a://} with whole-or-nothing writes ({@link io.sparkdiffusion.io.AtomicFiles}).
 *
 * <p>Depends on {@code tensor} only (plus Hadoop's client API, which Spark brings); {@code train} and the layers
 * above it use it. Every writer here is deterministic: the same content gives the same bytes, so a rerun or a
 * retried Spark task rewrites a file identically.
 */
package io.sparkdiffusion.io;
