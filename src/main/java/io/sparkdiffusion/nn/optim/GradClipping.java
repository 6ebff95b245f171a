package io.sparkdiffusion.nn.optim;

/**
 * Global-norm gradient clipping, as {@code torch.nn.utils.clip_grad_norm_} (L2 norm):
 * {@code total = ||g||_2} over all gradients; if {@code maxNorm / (total + 1e-6) < 1}, every gradient is
 * multiplied by that factor.
 */
public final class GradClipping {
    /** torch's guard against division by a zero norm. */
    public static final double NORM_EPS = 1e-6;

    private GradClipping() {
    }

    /** The L2 norm of all of {@code grads}, accumulated in double. */
    public static double norm(float[] grads) {
        double sum = 0;
        for (float g : grads) {
            sum += (double) g * g;
        }
        return Math.sqrt(sum);
    }

    /**
     * Scales {@code grads} in place so that their global L2 norm is at most about {@code maxNorm}.
     *
     * @return the norm before clipping (torch returns it too; useful to log)
     */
    public static double clipGradNormInPlace(float[] grads, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
        }
        double total = norm(grads);
        double coef = maxNorm / (total + NORM_EPS);
        if (coef < 1) {
            float c = (float) coef;
            for (int i = 0; i < grads.length; i++) {
                grads[i] *= c;
            }
        }
        return total;
    }
}
