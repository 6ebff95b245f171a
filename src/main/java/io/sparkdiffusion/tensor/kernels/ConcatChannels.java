package io.sparkdiffusion.tensor.kernels;

/**
 * Concatenation on the channel axis, {@code torch.cat([a, b], dim=1)}.
 *
 * <pre>
 * a [N, Ca, HW]   b [N, Cb, HW]   y [N, Ca + Cb, HW] = [a, b] per image
 * da += dy[:, :Ca]   db += dy[:, Ca:]   (or =, for a gradient's first values)
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
        if (da != null) {
            backwardPart(dy, dyOff, ca + cb, 0, ca, hw, n, da, daOff, false);
        }
        if (db != null) {
            backwardPart(dy, dyOff, ca + cb, ca, cb, hw, n, db, dbOff, false);
        }
    }

    /**
     * One input's gradient: {@code dp += dy[:, c0 : c0 + cp]} of dy [N, C, HW], or {@code dp = ...} with
     * {@code set} (the gradient's first values: a copy, no read of dp).
     */
    public static void backwardPart(float[] dy, int dyOff, int c, int c0, int cp, int hw, int n, float[] dp,
                                    int dpOff, boolean set) {
        int sp = cp * hw;
        for (int i = 0; i < n; i++) {
            int src = dyOff + (i * c + c0) * hw;
            if (set) {
                System.arraycopy(dy, src, dp, dpOff + i * sp, sp);
            } else {
                Add.accumulate(dy, src, dp, dpOff + i * sp, sp);
            }
        }
    }
}
