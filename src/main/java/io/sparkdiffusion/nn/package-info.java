/**
 * Layers of the denoiser, composed from {@link io.sparkdiffusion.autograd.Tape} ops, over one flat parameter
 * store ({@link io.sparkdiffusion.nn.ParameterStore}): every weight is a named view into one {@code float[]},
 * every gradient a view at the same offset into a second one, so optimizers, averaging and persistence work
 * on plain arrays. Parameter names and order match the PyTorch twin's {@code named_parameters()}.
 */
package io.sparkdiffusion.nn;
