package io.sparkdiffusion.nn.unet;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.nn.DropoutDraw;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Dropout is active only in a training pass with a draw, and a draw's seed fixes its masks. */
class UNetDropoutTest {

    @Test
    void dropoutDependsOnlyOnTheDrawSeed() {
        UNet net = new UNet(new UNetConfig(1, 8, 8, new int[] {1, 2}, 1, new int[] {4}, 0, 0.3f), 1);
        Tensor x = Tensor.zeros(Shape.of(2, 1, 8, 8));
        for (int i = 0; i < x.size(); i++) {
            x.set(i, (float) Math.sin(0.37 * i));
        }
        float[] c = {0.1f, -0.4f};
        float[] eval = out(net, x, c, null);
        float[] a = out(net, x, c, new DropoutDraw(11));
        assertArrayEquals(a, out(net, x, c, new DropoutDraw(11)));
        assertFalse(java.util.Arrays.equals(a, out(net, x, c, new DropoutDraw(12))));
        assertFalse(java.util.Arrays.equals(a, eval));

        UNet noDropout = new UNet(new UNetConfig(1, 8, 8, new int[] {1, 2}, 1, new int[] {4}, 0, 0f), 1);
        assertArrayEquals(out(noDropout, x, c, null), out(noDropout, x, c, new DropoutDraw(11)),
                "a config with dropout 0 ignores the draw");
    }

    private static float[] out(UNet net, Tensor x, float[] c, DropoutDraw draw) {
        Tape tape = new Tape();
        return net.forward(tape, tape.constant(x), c, null, draw).value().toArray();
    }
}
