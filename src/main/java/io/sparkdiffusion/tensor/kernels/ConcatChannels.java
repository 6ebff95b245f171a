package io.sparkdiffusion.tensor.kernels;

/**
 * Concatenation on the channel axis, {@code torch.cat([a, b], dim=1)}.
 *
 * <pre>
 * a [N, Ca, HW]   b [N, Cb, HW]   y [N, Ca + Cb, HW] = [a, b] per image
 * da += dy[:, :Ca]   db += dy[:, Ca:]
 * </pre>
 */
public final class ConcatChannels {
    private ConcatChannels() {
    }

    public static void forward(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff,
                               int n, int ca, int cb, int hw) {
        int sa = ca * hw;
        int sb = cb * hw;
        for (int i = 0; i < n; i++) {
            System.arraycopy(a, aOff + i * sa, y, yOff + i * (sa + sb), sa);
            System.arraycopy(b, bOff + i * sb, y, yOff + i * (sa + sb) + sa, sb);
        }
    }

    /** Accumulates da and db; either may be null. */
    public static void backward(float[] dy, int dyOff, float[] da, int daOff, float[] db, int dbOff,
                                int n, int ca, int cb, int hw) {
        int sa = ca * hw;
        int sb = cb * hw;
        for (int i = 0; i < n; i++) {
            int src = dyOff + i * (sa + sb);
            if (da != null) {
                Add.accumulate(dy, src, da, daOff + i * sa, sa);
            }
            if (db != null) {
                Add.accumulate(dy, src + sa, db, dbOff + i * sb, sb);
            }
        }
    }
}
