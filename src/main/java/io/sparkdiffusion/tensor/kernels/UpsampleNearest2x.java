package io.sparkdiffusion.tensor.kernels;

/**
 * Nearest-neighbour upsampling by 2 on both spatial axes (F.interpolate(scale_factor=2, mode='nearest')).
 *
 * <pre>
 * x [N*C planes, H, W]    y [N*C planes, 2H, 2W]    y[p, i, j] = x[p, i/2, j/2]
 * dx[p, i, j] += dy[p,2i,2j] + dy[p,2i,2j+1] + dy[p,2i+1,2j] + dy[p,2i+1,2j+1]
 * </pre>
 */
public final class UpsampleNearest2x {
    private UpsampleNearest2x() {
    }

    /** y = upsample(x) for {@code planes = N*C} planes of H x W. */
    public static void forward(float[] x, int xOff, float[] y, int yOff, int planes, int h, int w) {
        int w2 = 2 * w;
        for (int pl = 0; pl < planes; pl++) {
            for (int i = 0; i < h; i++) {
                int src = xOff + (pl * h + i) * w;
                int dst = yOff + (pl * 2 * h + 2 * i) * w2;
                for (int j = 0; j < w; j++) {
                    float v = x[src + j];
                    y[dst + 2 * j] = v;
                    y[dst + 2 * j + 1] = v;
                }
                System.arraycopy(y, dst, y, dst + w2, w2);
            }
        }
    }

    /** dx += the 2x2 block sums of dy. */
    public static void backward(float[] dy, int dyOff, float[] dx, int dxOff, int planes, int h, int w) {
        int w2 = 2 * w;
        for (int pl = 0; pl < planes; pl++) {
            for (int i = 0; i < h; i++) {
                int dst = dxOff + (pl * h + i) * w;
                int r0 = dyOff + (pl * 2 * h + 2 * i) * w2;
                int r1 = r0 + w2;
                for (int j = 0; j < w; j++) {
                    dx[dst + j] += (dy[r0 + 2 * j] + dy[r0 + 2 * j + 1]) + (dy[r1 + 2 * j] + dy[r1 + 2 * j + 1]);
                }
            }
        }
    }
}
