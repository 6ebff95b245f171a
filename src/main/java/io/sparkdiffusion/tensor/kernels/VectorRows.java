package io.sparkdiffusion.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies of image rows between the dense layout ({@code [C, H*W]} planes) and the padded ones of
 * {@link ShiftedConv} and {@link GroupNormSilu.Planes}, on the Vector API at the machine's preferred width: rows
 * of at least {@link #LANES} floats as whole vectors, the last one overlapping the one before instead of a scalar
 * tail (a 28-float row is two 16-lane vectors, at 0 and 12). An overlapped element is written twice with the same
 * value, so the result is the element-by-element copy (or sum) bit for bit; source and destination must not
 * overlap. Narrower rows run {@link Rows#copy} (or the scalar sum), as before. Loaded only when the JVM has
 * the module {@code jdk.incubator.vector}.
 *
 * <p>Why: at 28 x 28 the stride-1 convolutions moved every row with {@code System.arraycopy} (or a loop of 28
 * that C2 splits into a vector body and scalar pre- and post-loops), about a quarter of a {@code 32->32} forward
 * beside its products. Narrower rows stay scalar on purpose: 8- and 4-lane vectors for them (a second species in
 * the same JVM) pollute the type profiles of the Vector API's shared code, and C2 then compiled the 16-lane copies
 * too with boxed vectors, several times slower than the scalar copies (JDK 17, {@code -XX:+PrintInlining}).
 * Like every vector kernel here these copies need {@code -XX:PerMethodTrapLimit=100000} on JDK 17 ({@link
 * TrapLimit}): with the JDK's default of 100 most JVMs running them compiled the product kernels boxed for life,
 * which is why they were removed in session 27 and came back once that option was found (docs/engine.md, "Row copies in
 * whole vectors").
 */
final class VectorRows {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector; rows narrower than this are copied by scalar code. */
    static final int LANES = SPECIES.length();

    private VectorRows() {
    }

    /** dst[d + r*dStride + j] = src[s + r*sStride + j] for r &lt; rows, j &lt; width. */
    static void copy(float[] src, int s, int sStride, float[] dst, int d, int dStride, int rows, int width) {
        if (width < LANES) {
            Rows.copy(src, s, sStride, dst, d, dStride, rows, width);
            return;
        }
        int last = width - LANES;
        for (int r = 0; r < rows; r++, s += sStride, d += dStride) {
            for (int j = 0; j < last; j += LANES) {
                FloatVector.fromArray(SPECIES, src, s + j).intoArray(dst, d + j);
            }
            FloatVector.fromArray(SPECIES, src, s + last).intoArray(dst, d + last);
        }
    }

    /** dst[d + r*dStride + j] = src[s + r*sStride + j] + add for r &lt; rows, j &lt; width. */
    static void copyPlus(float[] src, int s, int sStride, float[] dst, int d, int dStride, int rows, int width,
                         float add) {
        if (width < LANES) {
            for (int r = 0; r < rows; r++, s += sStride, d += dStride) {
                for (int j = 0; j < width; j++) {
                    dst[d + j] = src[s + j] + add;
                }
            }
            return;
        }
        int last = width - LANES;
        for (int r = 0; r < rows; r++, s += sStride, d += dStride) {
            for (int j = 0; j < last; j += LANES) {
                FloatVector.fromArray(SPECIES, src, s + j).add(add).intoArray(dst, d + j);
            }
            FloatVector.fromArray(SPECIES, src, s + last).add(add).intoArray(dst, d + last);
        }
    }
}
