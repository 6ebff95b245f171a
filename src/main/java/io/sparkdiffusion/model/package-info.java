/**
 * The network as a {@link io.sparkdiffusion.diffusion.Denoiser}: {@link io.sparkdiffusion.model.UNetDenoiser}
 * wraps a U-Net of {@code nn.unet} in a parameterization's preconditioning (Karras et al. 2022, Eq. 7), and
 * {@link io.sparkdiffusion.model.NetworkCache} keeps one network and tape per thread. It sits between
 * {@code nn}/{@code diffusion} and {@code train}, so that sampling does not reach into training.
 */
package io.sparkdiffusion.model;
