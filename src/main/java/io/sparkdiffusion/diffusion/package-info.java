/**
 * Diffusion models as parameterizations of one framework (Karras et al. 2022, "Elucidating the Design Space of
 * Diffusion-Based Generative Models", Table 1).
 *
 * <p>A {@link io.sparkdiffusion.diffusion.Parameterization} (EDM, VP, VE, Flow Matching) gives the noise schedule
 * {@code sigma(t)}, the scaling {@code s(t)}, the preconditioning {@code cSkip, cOut, cIn, cNoise}, the training
 * noise-level distribution, the loss weight {@code lambda(sigma)} and its default time-step grid. One object is shared
 * by the trainer ({@link io.sparkdiffusion.diffusion.Parameterization#trainingExample}), the forward-noising stage
 * ({@link io.sparkdiffusion.diffusion.ForwardNoising}) and the samplers ({@code diffusion.sampling}). VP and VE can
 * also train with EDM's recipe on their own schedule ({@link io.sparkdiffusion.diffusion.TrainingSigma},
 * {@link io.sparkdiffusion.diffusion.LossWeighting}, {@link io.sparkdiffusion.diffusion.PreconditioningKind}; why:
 * docs/parameterizations.md).
 *
 * <p>Everything here works against the {@link io.sparkdiffusion.diffusion.Denoiser} interface on plain arrays
 * (batch of rows, row-major, an image is a flattened CHW row); the adapter from the network lives elsewhere.
 */
package io.sparkdiffusion.diffusion;
