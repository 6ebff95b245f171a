/**
 * Sample-quality metrics on plain arrays, independent of the engine and of Spark: feature moments that Spark
 * partitions compute and merge ({@link io.sparkdiffusion.metrics.FeatureMoments}), the Fréchet distance between
 * two Gaussians fitted to features ({@link io.sparkdiffusion.metrics.FrechetDistance}, matrix square roots by
 * LAPACK), the k-nearest-neighbour precision and recall of Kynkäänniemi et al. 2019
 * ({@link io.sparkdiffusion.metrics.PrecisionRecall}) and a feature classifier's agreement with the labels samples
 * were drawn for ({@link io.sparkdiffusion.metrics.ClassTally}).
 *
 * <p>Features are rows of a row-major {@code float[n * d]}; every sum is taken in double.
 */
package io.sparkdiffusion.metrics;
