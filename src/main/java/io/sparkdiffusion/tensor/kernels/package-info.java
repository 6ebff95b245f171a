/**
 * Numerical kernels on raw {@code float[]} with explicit sizes and offsets, llm.c style: each op is a final
 * class with a {@code forward} / {@code backward} pair and a shape legend in its javadoc. Forward overwrites its
 * output; backward ACCUMULATES ({@code +=}) into every gradient it is given, so a value used twice simply
 * receives both contributions. Matrix products go through {@link io.sparkdiffusion.tensor.Gemm}; stride-1
 * convolutions other than 1x1 run on the Vector API ({@link io.sparkdiffusion.tensor.kernels.VectorConv}) when the
 * JVM has {@code jdk.incubator.vector}, else as one GEMM per kernel tap ({@code ShiftedConv}). The
 * double-precision references the tests check these against live in the test tree
 * ({@code io.sparkdiffusion.tensor.kernels.Reference}).
 */
package io.sparkdiffusion.tensor.kernels;
