/**
 * spark-diffusion: diffusion models trained and sampled as Apache Spark jobs.
 *
 * <p>The layering, written down here once; {@code LayeringTest} reads this list and fails on any import in
 * {@code src/main} that it does not allow. Dependencies point one way, and a package's sub-packages
 * ({@code tensor.kernels}, {@code nn.unet}, {@code nn.optim}, {@code diffusion.sampling}) belong to its layer:
 * <pre>
 *   layer      may import
 *   tensor     -
 *   autograd   tensor
 *   nn         autograd tensor
 *   diffusion  -
 *   metrics    -
 *   io         tensor
 *   model      nn autograd tensor diffusion
 *   train      model nn autograd tensor diffusion io metrics
 *   spark      train model nn autograd tensor diffusion io metrics
 *   cli        spark train model nn autograd tensor diffusion io metrics
 * </pre>
 * So {@code tensor <- autograd <- nn}; {@code diffusion} stands alone on plain arrays (the math reads and tests
 * without the engine), and so does {@code metrics} (sample-quality math: feature moments, Fréchet distance,
 * precision/recall); {@code model} wraps the network as a {@code diffusion.Denoiser}; {@code io} holds the file
 * formats, below {@code train}; then {@code train <- spark <- cli}. {@code train} may name {@code metrics}' value
 * types (a training run records the quality reports of its evaluations), never Spark.
 */
package io.sparkdiffusion;
