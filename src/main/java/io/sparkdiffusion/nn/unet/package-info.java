/**
 * The configurable denoiser U-Net: {@link io.sparkdiffusion.nn.unet.UNetConfig} (with the
 * {@code unet-small} preset of {@code shared/reference/unet-small.md}) and
 * {@link io.sparkdiffusion.nn.unet.UNet}, a block-for-block mirror of the PyTorch twin
 * {@code shared/reference/torch_unet.py}.
 */
package io.sparkdiffusion.nn.unet;
