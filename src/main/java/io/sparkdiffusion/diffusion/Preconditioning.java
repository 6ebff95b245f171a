package io.sparkdiffusion.diffusion;

/**
 * The preconditioning of Karras et al. 2022 (Eq. 7, Table 1) at one noise level:
 * {@code D(x; sigma) = cSkip * x + cOut * F(cIn * x; cNoise)}, where {@code F} is the raw network.
 *
 * @param cSkip  skip-connection weight
 * @param cOut   output scale of the network
 * @param cIn    input scale of the network
 * @param cNoise noise-level conditioning fed to the network
 */
public record Preconditioning(double cSkip, double cOut, double cIn, double cNoise) {
}
