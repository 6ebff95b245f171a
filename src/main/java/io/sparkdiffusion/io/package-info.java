/**
 * Files in and out: IDX arrays ({@link io.sparkdiffusion.io.Idx}), PNG images of CHW tensors
 * ({@link io.sparkdiffusion.io.Png}), image grids and the loss-curve plot, and one Hadoop {@code FileSystem}
 * path for {@code file://}, {@code hdfs://} and {@code s3a://} with whole-or-nothing writes
 * ({@link io.sparkdiffusion.io.AtomicFiles}).
 *
 * <p>Depends on {@code tensor} only (plus Hadoop's client API, which Spark brings). Every writer here is
 * deterministic: the same content gives the same bytes, so a rerun or a retried Spark task rewrites a file
 * identically.
 */
package io.sparkdiffusion.io;
