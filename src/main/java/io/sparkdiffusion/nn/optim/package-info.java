/**
 * Optimizers over flat arrays: {@link io.sparkdiffusion.nn.optim.Adam} (torch.optim.Adam semantics),
 * global-norm gradient clipping ({@link io.sparkdiffusion.nn.optim.GradClipping}) and an exponential moving
 * average of the weights ({@link io.sparkdiffusion.nn.optim.Ema}, EDM's half-life form). All state is plain
 * {@code float[]} plus a step count, so the Spark layer can average and save it.
 */
package io.sparkdiffusion.nn.optim;
