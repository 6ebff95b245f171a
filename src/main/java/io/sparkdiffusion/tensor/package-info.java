/**
 * Tensors: {@link io.sparkdiffusion.tensor.Shape} and {@link io.sparkdiffusion.tensor.Tensor} (float32,
 * row-major, NCHW for images, no implicit broadcasting). Kernels live in {@code tensor.kernels}; {@code Gemm}
 * is the one class that calls BLAS.
 */
package io.sparkdiffusion.tensor;
