package io.sparkdiffusion.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fused {@link GroupNorm#forwardSilu} against {@code tape.silu(forward(...))}, whose ops are tested alone. */
class GroupNormTest {
    /** Float rounding between the fused and the unfused evaluation (values and gradients are of order 1). */
    private static final float FUSED_TOLERANCE = 1e-5f;

    @Test
    void forwardSiluIsSiluOfForwardOnTheSameParameters() {
        ParameterStore store = new ParameterStore(3);
        GroupNorm norm = new GroupNorm(store, "n", 8); // 2 groups of 4 channels
        store.seal();
        SplittableRandom rng = new SplittableRandom(4);
        float[] values = store.values().clone();
        for (int i = 0; i < values.length; i++) {
            values[i] += (float) (rng.nextDouble() - 0.5); // gamma around 1, beta around 0
        }
        store.setValues(values);
        Tensor x = Tensor.zeros(2, 8, 5, 5);
        Tensor target = Tensor.zeros(2, 8, 5, 5);
        for (int i = 0; i < x.size(); i++) {
            x.set(i, (float) (2.0 + 3.0 * (rng.nextDouble() - 0.5)));
            target.set(i, (float) (rng.nextDouble() - 0.5));
        }

        Tape unfused = new Tape();
        Var xu = unfused.input(x);
        Var yu = unfused.silu(norm.forward(unfused, xu));
        unfused.backward(unfused.mse(yu, target));
        float[] gradsUnfused = store.grads().clone();

        store.zeroGrads();
        Tape fused = new Tape();
        Var xf = fused.input(x);
        Var yf = norm.forwardSilu(fused, xf);
        fused.backward(fused.mse(yf, target));

        assertEquals(Shape.of(2, 8, 5, 5), yf.shape());
        assertArrayEquals(yu.value().toArray(), yf.value().toArray(), FUSED_TOLERANCE, "values");
        assertArrayEquals(gradsUnfused, store.grads(), FUSED_TOLERANCE, "gamma and beta gradients");
        assertArrayEquals(xu.grad().toArray(), xf.grad().toArray(), FUSED_TOLERANCE, "input gradients");
        assertEquals(16, store.numParameters(), "the same two parameters, n.weight and n.bias");
    }
}
