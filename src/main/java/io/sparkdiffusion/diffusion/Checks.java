package io.sparkdiffusion.diffusion;

/** Argument checks whose messages name the setting, the bad value and what would be right. */
final class Checks {

    private Checks() {
    }

    static void positive(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be finite and > 0, got " + value);
        }
    }

    static void finite(String name, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
    }

    static void sigmaRange(double sigmaMin, double sigmaMax) {
        positive("sigmaMin", sigmaMin);
        positive("sigmaMax", sigmaMax);
        if (!(sigmaMin < sigmaMax)) {
            throw new IllegalArgumentException("sigmaMin must be < sigmaMax, got sigmaMin = " + sigmaMin
                    + ", sigmaMax = " + sigmaMax);
        }
    }

    /** The training-recipe options VP and VE share ({@link TrainingSigma}, {@link LossWeighting}, {@link PreconditioningKind}). */
    static void recipeOptions(TrainingSigma trainingSigma, double pMean, double pStd, LossWeighting lossWeighting,
                              double sigmaData, PreconditioningKind preconditioning) {
        if (trainingSigma == null) {
            throw new IllegalArgumentException("trainingSigma must be PAPER or LOG_NORMAL, got null");
        }
        finite("pMean", pMean);
        positive("pStd", pStd);
        if (lossWeighting == null) {
            throw new IllegalArgumentException("lossWeighting must be PAPER or EDM, got null");
        }
        positive("sigmaData", sigmaData);
        if (preconditioning == null) {
            throw new IllegalArgumentException("preconditioning must be PAPER or EDM, got null");
        }
    }
}
