package io.sparkdiffusion.nn.optim;

/**
 * Hyper-parameters of {@link Adam} (Kingma and Ba 2015), with torch.optim.Adam's meanings and defaults.
 *
 * @param lr          learning rate, {@code > 0}
 * @param beta1       decay of the first-moment average, in {@code [0, 1)}
 * @param beta2       decay of the second-moment average, in {@code [0, 1)}
 * @param eps         added to {@code sqrt(v_hat)}, {@code > 0}
 * @param weightDecay L2 penalty added to the gradient ({@code g + weightDecay * w}, torch.optim.Adam, not
 *                    AdamW's decoupled decay), {@code >= 0}
 */
public record AdamConfig(double lr, double beta1, double beta2, double eps, double weightDecay) {

    public AdamConfig {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr must be positive and finite, got " + lr);
        }
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be positive and finite, got " + eps);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay must be >= 0 and finite, got " + weightDecay);
        }
    }

    /** torch.optim.Adam's defaults with learning rate {@code lr}: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static AdamConfig of(double lr) {
        return new AdamConfig(lr, 0.9, 0.999, 1e-8, 0);
    }

    public AdamConfig withWeightDecay(double newWeightDecay) {
        return new AdamConfig(lr, beta1, beta2, eps, newWeightDecay);
    }
}
