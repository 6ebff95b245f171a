package io.sparkdiffusion.tensor.kernels;

/**
 * Adds one value per (image, channel) to every position: {@code h + e[:, :, None, None]}.
 *
 * <pre>
 * x, y [N, C, HW]   e [N, C]    y[n,c,p] = x[n,c,p] + e[n,c]
 * dx += dy    de[n,c] += sum_p dy[n,c,p]
 * </pre>
 */
public final class AddPerChannel {
    private AddPerChannel() {
    }

    public static void forward(float[] x, int xOff, float[] e, int eOff, float[] y, int yOff, int n, int c, int hw) {
        for (int nc = 0; nc < n * c; nc++) {
            float v = e[eOff + nc];
            int base = nc * hw;
            for (int p = 0; p < hw; p++) {
                y[yOff + base + p] = x[xOff + base + p] + v;
            }
        }
    }

    /** Accumulates dx and de; either may be null. */
    public static void backward(float[] dy, int dyOff, float[] dx, int dxOff, float[] de, int deOff,
                                int n, int c, int hw) {
        if (dx != null) {
            Add.accumulate(dy, dyOff, dx, dxOff, n * c * hw);
        }
        if (de != null) {
            for (int nc = 0; nc < n * c; nc++) {
                de[deOff + nc] += Reduce.sum(dy, dyOff + nc * hw, hw);
            }
        }
    }
}
