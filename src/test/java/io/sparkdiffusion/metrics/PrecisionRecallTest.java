package io.sparkdiffusion.metrics;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Precision and recall on point clouds whose overlap is known, as Kynkäänniemi et al. 2019 describe the metric
 * (their Figure 1 and Section 3): a generator that covers only part of the data has high precision and low recall;
 * one that spreads beyond the data has low precision and high recall; the same distribution gives both near 1,
 * disjoint ones both 0.
 */
class PrecisionRecallTest {
    /** Exact counts on hand-made sets. */
    static final double EXACT = 0.0;
    private static final int N = 1000;
    private static final int D = 4;

    @Test
    void handCountedOneDimensionalExample() {
        // Real {0, 1, 2, 3, 4}, k = 1: every real ball has radius 1. Generated {0.5, 10}: 0.5 lies in the ball of 0,
        // 10 in none, so precision = 1/2. The generated radii (k = 1) are both |10 - 0.5| = 9.5; every real point is
        // within 9.5 of 0.5, so recall = 5/5.
        PrecisionRecall.Result r = PrecisionRecall.compute(new float[] {0, 1, 2, 3, 4}, new float[] {0.5f, 10}, 1, 1);
        assertEquals(0.5, r.precision(), EXACT);
        assertEquals(1.0, r.recall(), EXACT);
    }

    @Test
    void twoSamplesOfOneDistributionScoreNearOne() {
        PrecisionRecall.Result r = PrecisionRecall.compute(gaussian(N, 1, 0, 1.0), gaussian(N, 2, 0, 1.0), D, 3);
        assertTrue(r.precision() > 0.85 && r.recall() > 0.85, r.toString());
    }

    @Test
    void identicalSetsScoreExactlyOne() {
        float[] x = gaussian(N, 3, 0, 1.0);
        PrecisionRecall.Result r = PrecisionRecall.compute(x, x.clone(), D, 3);
        assertEquals(1.0, r.precision(), EXACT);
        assertEquals(1.0, r.recall(), EXACT);
    }

    @Test
    void disjointCloudsScoreZero() {
        PrecisionRecall.Result r = PrecisionRecall.compute(gaussian(N, 4, 0, 1.0), gaussian(N, 5, 100, 1.0), D, 3);
        assertEquals(0.0, r.precision(), EXACT);
        assertEquals(0.0, r.recall(), EXACT);
    }

    @Test
    void droppingHalfTheModesKeepsPrecisionAndHalvesRecall() {
        // Real: two well separated clusters; generated: only the first one (mode dropping).
        float[] real = concat(gaussian(N / 2, 6, 0, 1.0), gaussian(N / 2, 7, 20, 1.0));
        float[] generated = gaussian(N, 8, 0, 1.0);
        PrecisionRecall.Result r = PrecisionRecall.compute(real, generated, D, 3);
        assertTrue(r.precision() > 0.85, "the generated cluster lies inside the real manifold: " + r);
        assertTrue(r.recall() > 0.4 && r.recall() < 0.55, "half of the real points lie in no generated ball: " + r);
    }

    @Test
    void aGeneratorSpreadBeyondTheDataHasLowPrecisionAndHighRecall() {
        PrecisionRecall.Result r = PrecisionRecall.compute(gaussian(N, 9, 0, 1.0), gaussian(N, 10, 0, 3.0), D, 3);
        assertTrue(r.precision() < 0.4, "most wide samples fall outside the real manifold: " + r);
        assertTrue(r.recall() > 0.95, "the wide balls cover the real data: " + r);
    }

    @Test
    void aGeneratorCollapsedIntoTheDataHasHighPrecisionAndLowRecall() {
        PrecisionRecall.Result r = PrecisionRecall.compute(gaussian(N, 11, 0, 1.0), gaussian(N, 12, 0, 0.3), D, 3);
        assertTrue(r.precision() > 0.95, "narrow samples fall inside the real manifold: " + r);
        assertTrue(r.recall() < 0.4, "the narrow balls miss most real points: " + r);
    }

    @Test
    void tooFewRowsOrBadShapesAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrecisionRecall.compute(new float[3], new float[10], 1, 3));
        assertEquals("real features: 3 rows, but the k-th nearest neighbour needs more than k = 3 rows", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.compute(new float[10], new float[9], 2, 1));
        assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.compute(new float[10], new float[10], 1, 0));
    }

    /** n points of N(centre * 1, scale^2 I) in D dimensions. */
    private static float[] gaussian(int n, long seed, double centre, double scale) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[n * D];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (centre + scale * random.nextGaussian());
        }
        return x;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
