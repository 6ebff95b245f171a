package io.sparkdiffusion.diffusion;

/**
 * Classifier-free guidance (Ho and Salimans 2022) as a {@link Denoiser} decorator:
 * {@code D = D_uncond + w (D_cond - D_uncond)}, where {@code D_uncond} is the inner denoiser with label
 * {@link Denoiser#NO_LABEL}. Rows without a label (label {@code -1}, or {@code labels == null}) get {@code D_uncond}.
 * {@code w = 1} is the plain conditional denoiser, {@code w = 0} the unconditional one. Costs two inner calls per
 * call when any row has a label.
 *
 * <p>Not thread-safe: it keeps the conditional output's buffer between calls, so that a sampler's steps allocate
 * nothing; {@link io.sparkdiffusion.diffusion.sampling.Sampler} wraps its denoiser once per batch.
 */
public final class ClassifierFreeGuidance implements Denoiser {

    private final Denoiser inner;
    private final double guidanceWeight;
    private double[] cond = new double[0];

    /**
     * @param inner          a denoiser trained with label dropout (label {@code -1} = unconditional)
     * @param guidanceWeight {@code w}, finite and {@code >= 0}
     */
    public ClassifierFreeGuidance(Denoiser inner, double guidanceWeight) {
        if (inner == null) {
            throw new IllegalArgumentException("inner denoiser must not be null");
        }
        if (!(guidanceWeight >= 0) || Double.isInfinite(guidanceWeight)) {
            throw new IllegalArgumentException("guidanceWeight must be finite and >= 0, got " + guidanceWeight);
        }
        this.inner = inner;
        this.guidanceWeight = guidanceWeight;
    }

    /** Wraps {@code inner} unless {@code guidanceWeight == 1}, where guidance is the identity. */
    public static Denoiser wrap(Denoiser inner, double guidanceWeight) {
        return guidanceWeight == 1.0 ? inner : new ClassifierFreeGuidance(inner, guidanceWeight);
    }

    public double guidanceWeight() {
        return guidanceWeight;
    }

    @Override
    public void denoise(double[] x, double[] sigma, int[] labels, int n, int dim, double[] out) {
        inner.denoise(x, sigma, null, n, dim, out);
        if (labels == null || !anyLabel(labels, n)) {
            return;
        }
        if (cond.length < n * dim) {
            cond = new double[n * dim];
        }
        inner.denoise(x, sigma, labels, n, dim, cond);
        for (int i = 0; i < n; i++) {
            if (labels[i] == NO_LABEL) {
                continue;
            }
            for (int j = i * dim, end = j + dim; j < end; j++) {
                out[j] += guidanceWeight * (cond[j] - out[j]);
            }
        }
    }

    private static boolean anyLabel(int[] labels, int n) {
        for (int i = 0; i < n; i++) {
            if (labels[i] != NO_LABEL) {
                return true;
            }
        }
        return false;
    }
}
