package io.sparkdiffusion.nn.unet;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.nn.ParameterStore;
import io.sparkdiffusion.nn.optim.Adam;
import io.sparkdiffusion.nn.optim.AdamConfig;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: forward, backward and Adam together can fit one fixed batch (8 noisy 16x16 images, fixed noise
 * levels, denoising target), driving the loss down at least {@link #REQUIRED_FACTOR}-fold.
 */
class UNetOverfitTest {
    private static final double REQUIRED_FACTOR = 100;
    private static final int MAX_STEPS = 400;
    private static final int N = 8;
    private static final int RES = 16;

    @Test
    void tinyUNetOverfitsOneBatch() {
        UNetConfig config = new UNetConfig(1, RES, 8, new int[] {1, 2, 2}, 1, new int[] {4}, 4, 0f);
        UNet net = new UNet(config, 1);
        ParameterStore params = net.parameters();
        Adam adam = new Adam(AdamConfig.of(2e-3), net.numParameters());

        SplittableRandom random = new SplittableRandom(5);
        Tensor clean = Tensor.zeros(Shape.of(N, 1, RES, RES));
        Tensor noisy = Tensor.zeros(Shape.of(N, 1, RES, RES));
        float[] cNoise = new float[N];
        int[] labels = new int[N];
        for (int i = 0; i < N; i++) {
            double fx = 1 + random.nextInt(3);
            double fy = 1 + random.nextInt(3);
            double phase = 2 * Math.PI * random.nextDouble();
            float sigma = 0.2f + 0.1f * i;
            cNoise[i] = (float) Math.log(sigma) / 4;
            labels[i] = i % 5 - 1; // includes "no label"
            for (int p = 0; p < RES * RES; p++) {
                double v = Math.sin(2 * Math.PI * (fx * (p % RES) + fy * (p / RES)) / RES + phase);
                clean.set(i * RES * RES + p, (float) v);
                noisy.set(i * RES * RES + p, (float) (v + sigma * nextGaussian(random)));
            }
        }

        Tape tape = new Tape();
        double first = Double.NaN;
        double last = Double.NaN;
        int steps = 0;
        while (steps < MAX_STEPS) {
            tape.reset();
            params.zeroGrads();
            Var loss = tape.mse(net.forward(tape, noisy, cNoise, labels), clean);
            tape.backward(loss);
            adam.stepInPlace(params.values(), params.grads());
            last = loss.value().get(0);
            if (steps == 0) {
                first = last;
            }
            steps++;
            if (first / last >= 2 * REQUIRED_FACTOR) {
                break;
            }
        }
        System.out.printf("overfit: loss %.4g -> %.4g (%.0fx) in %d steps%n", first, last, first / last, steps);
        assertTrue(first / last >= REQUIRED_FACTOR,
                "loss fell only " + first / last + "-fold (" + first + " -> " + last + ") in " + steps + " steps");
    }

    private static double nextGaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
