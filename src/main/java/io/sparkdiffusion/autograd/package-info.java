/**
 * Reverse-mode automatic differentiation: a {@link io.sparkdiffusion.autograd.Tape} of
 * {@link io.sparkdiffusion.autograd.Var} nodes, one method per differentiable op, each calling a
 * forward/backward kernel pair from {@code tensor.kernels}. Buffers are pooled per tape and reused after
 * {@code reset()}.
 */
package io.sparkdiffusion.autograd;
