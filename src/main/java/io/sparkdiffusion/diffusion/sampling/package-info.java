/**
 * Samplers for any {@link io.sparkdiffusion.diffusion.Parameterization} and any
 * {@link io.sparkdiffusion.diffusion.Denoiser}: EDM Heun (Karras et al. 2022, Algorithm 1) and stochastic
 * (Algorithm 2), the general Euler/Heun ODE solver for any {@code sigma(t), s(t)}, DDIM/DDPM, DPM-Solver++(2M),
 * reverse-SDE Euler-Maruyama with an optional Langevin corrector, and Flow Matching Euler/Heun.
 *
 * <p>Entry point: {@link io.sparkdiffusion.diffusion.sampling.Sampler}; names at the edges are parsed by
 * {@link io.sparkdiffusion.diffusion.sampling.SamplerKind#parse}; settings are a validated
 * {@link io.sparkdiffusion.diffusion.sampling.SamplerSettings} record. Schedule arithmetic and sampler state are
 * double; every sample draws its randomness from its own seed only.
 */
package io.sparkdiffusion.diffusion.sampling;
