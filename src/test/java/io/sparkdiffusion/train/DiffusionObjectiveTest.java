package io.sparkdiffusion.train;

import io.sparkdiffusion.diffusion.ParameterizationKind;
import io.sparkdiffusion.nn.unet.UNetConfig;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiffusionObjectiveTest {
    private static final float FD_STEP = 1e-2f;
    /** Float32 network, central differences: a loose relative bound. */
    private static final double FD_REL_TOL = 0.05;

    private static Batch batch(UNetConfig spec, int n) {
        return ToyData.shard(n, spec.imageSize(), spec.numClasses(), 3).select(java.util.stream.IntStream.range(0, n).toArray());
    }

    /** The gradient's largest entries against central differences of the loss with the same random draws. */
    @Test
    void gradientMatchesFiniteDifferences() {
        UNetConfig spec = TinyNets.tiny(2);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.EDM.defaults(), 0.5);
        float[] w = new float[obj.numParameters()];
        obj.initialize(w, 1);
        Batch b = batch(spec, 3);
        float[] g = new float[w.length];
        obj.lossAndGradient(w, g, b, new SplittableRandom(4));
        int[] top = largest(g, 5);
        for (int i : top) {
            float[] plus = w.clone();
            float[] minus = w.clone();
            plus[i] += FD_STEP;
            minus[i] -= FD_STEP;
            double lp = obj.lossAndGradient(plus, new float[w.length], b, new SplittableRandom(4));
            double lm = obj.lossAndGradient(minus, new float[w.length], b, new SplittableRandom(4));
            double fd = (lp - lm) / (plus[i] - minus[i]);
            assertEquals(fd, g[i], FD_REL_TOL * Math.abs(fd), "parameter " + i);
        }
    }

    @Test
    void sameSeedSameLossOtherSeedOtherLoss() {
        UNetConfig spec = TinyNets.tiny(0);
        DiffusionObjective obj = new DiffusionObjective(spec, ParameterizationKind.FLOW.defaults(), 0);
        float[] w = new float[obj.numParameters()];
        obj.initialize(w, 1);
        Batch b = batch(spec, 2);
        double a = obj.lossAndGradient(w, new float[w.length], b, new SplittableRandom(7));
        double a2 = obj.lossAndGradient(w, new float[w.length], b, new SplittableRandom(7));
        double c = obj.lossAndGradient(w, new float[w.length], b, new SplittableRandom(8));
        assertEquals(a, a2, 0.0);
        assertTrue(a != c);
    }

    private static int[] largest(float[] g, int k) {
        return java.util.stream.IntStream.range(0, g.length).boxed()
                .sorted((x, y) -> Float.compare(Math.abs(g[y]), Math.abs(g[x]))).limit(k).mapToInt(Integer::intValue)
                .toArray();
    }
}
