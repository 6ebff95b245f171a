package io.sparkdiffusion.diffusion.sampling;

import io.sparkdiffusion.diffusion.GaussianMixture;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.ParameterizationKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A sample depends only on its seed: bit-for-bit the same in any batch size and order. */
class BatchInvarianceTest {

    private static final int N = 12;
    private static final int DIM = 3;

    private static double[] row(double[] x, int i) {
        return Arrays.copyOfRange(x, i * DIM, (i + 1) * DIM);
    }

    @ParameterizedTest
    @EnumSource(SamplerKind.class)
    void samplesDoNotDependOnBatch(SamplerKind kind) {
        Parameterization p = ParameterizationKind.FLOW.defaults();
        SamplerSettings settings = SamplerSettings.defaults(kind, p).withNumSteps(12).withGuidanceWeight(1.5)
                .withEta(0.5);
        Sampler sampler = new Sampler(p, settings);
        GaussianMixture gm = GaussianMixture.threeModes(DIM);
        long[] seeds = new long[N];
        int[] labels = new int[N];
        for (int i = 0; i < N; i++) {
            seeds[i] = 1_000_003L * i - 17;
            labels[i] = i % 4 - 1;
        }
        double[] all = sampler.sample(gm, N, DIM, seeds, labels);

        // One at a time, in reverse order.
        for (int i = N - 1; i >= 0; i--) {
            double[] one = sampler.sample(gm, 1, DIM, new long[]{seeds[i]}, new int[]{labels[i]});
            assertArrayEquals(row(all, i), one, 0.0, kind.id() + " sample " + i + " alone");
        }
        // Batches of 5 and 7 in a shuffled order.
        int[] order = {7, 2, 11, 0, 5, 9, 1, 4, 10, 3, 8, 6};
        for (int start = 0; start < N; start += 5) {
            int size = Math.min(5, N - start);
            long[] s = new long[size];
            int[] l = new int[size];
            for (int k = 0; k < size; k++) {
                s[k] = seeds[order[start + k]];
                l[k] = labels[order[start + k]];
            }
            double[] part = sampler.sample(gm, size, DIM, s, l);
            for (int k = 0; k < size; k++) {
                assertArrayEquals(row(all, order[start + k]), row(part, k), 0.0,
                        kind.id() + " sample " + order[start + k] + " in a shuffled batch");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SamplerKind.class)
    void callerNoiseFollowsTheDocumentedRecipe(SamplerKind kind) {
        // Starting noise of sample i: dim Gaussians from new SplittableRandom(seed_i).split().
        Parameterization p = ParameterizationKind.FLOW.defaults();
        Sampler sampler = new Sampler(p, SamplerSettings.defaults(kind, p).withNumSteps(6));
        GaussianMixture gm = GaussianMixture.threeModes(DIM);
        long[] seeds = {3, 99, -5};
        double[] noise = new double[seeds.length * DIM];
        for (int i = 0; i < seeds.length; i++) {
            SplittableRandom initial = new SplittableRandom(seeds[i]).split();
            for (int j = 0; j < DIM; j++) {
                noise[i * DIM + j] = initial.nextGaussian();
            }
        }
        double[] fromSeeds = sampler.sample(gm, seeds.length, DIM, seeds, null);
        double[] fromNoise = sampler.sample(gm, seeds.length, DIM, noise.clone(), seeds, null);
        assertArrayEquals(fromSeeds, fromNoise, 0.0, kind.id());
        assertEquals(0, sampler.sample(gm, 0, DIM, new long[0], null).length);
    }
}
