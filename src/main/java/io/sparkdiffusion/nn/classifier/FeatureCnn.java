package io.sparkdiffusion.nn.classifier;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.nn.Conv2d;
import io.sparkdiffusion.nn.Linear;
import io.sparkdiffusion.nn.ParameterStore;
import io.sparkdiffusion.tensor.Shape;

/**
 * A small CNN classifier; its penultimate activation is the feature vector of the quality metrics.
 *
 * <pre>
 *   x        [N, C, R, R]       images in [-1, 1]
 *   conv0    [N, c, R, R]       3x3, stride 1, SiLU
 *   conv1    [N, 2c, R1, R1]    3x3, stride 2, SiLU      R1 = floor((R - 1) / 2) + 1
 *   conv2    [N, 4c, R2, R2]    3x3, stride 2, SiLU      R2 = floor((R1 - 1) / 2) + 1
 *   features [N, featureDim]    linear on the flattened map, SiLU
 *   logits   [N, numClasses]    linear
 * </pre>
 * Parameters are drawn from PyTorch's default initialization with the store's seed.
 */
public final class FeatureCnn {
    /** The two outputs of a forward pass. */
    public record Output(Var features, Var logits) {
    }

    private final FeatureCnnConfig config;
    private final ParameterStore parameters;
    private final Conv2d conv0;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Linear features;
    private final Linear head;

    public FeatureCnn(FeatureCnnConfig config, long seed) {
        this.config = config;
        this.parameters = new ParameterStore(seed);
        int c = config.channels();
        conv0 = new Conv2d(parameters, "conv0", config.imgChannels(), c, 3, 1, 1);
        conv1 = new Conv2d(parameters, "conv1", c, 2 * c, 3, 2, 1);
        conv2 = new Conv2d(parameters, "conv2", 2 * c, 4 * c, 3, 2, 1);
        int r2 = config.lastResolution();
        features = new Linear(parameters, "features", 4 * c * r2 * r2, config.featureDim(), true);
        head = new Linear(parameters, "head", config.featureDim(), config.numClasses(), true);
        parameters.seal();
    }

    public FeatureCnnConfig config() {
        return config;
    }

    /** All weights in one flat array (live). */
    public ParameterStore parameters() {
        return parameters;
    }

    public int numParameters() {
        return parameters.numParameters();
    }

    /** Features and logits of {@code x} [N, C, R, R]. */
    public Output forward(Tape tape, Var x) {
        Shape s = x.shape();
        if (s.rank() != 4 || s.dim(1) != config.imgChannels() || s.dim(2) != config.imgResolution()
                || s.dim(3) != config.imgResolution()) {
            throw new IllegalArgumentException("FeatureCnn input: expected [N, " + config.imgChannels() + ", "
                    + config.imgResolution() + ", " + config.imgResolution() + "], got " + s);
        }
        Var h = tape.silu(conv0.forward(tape, x));
        h = tape.silu(conv1.forward(tape, h));
        h = tape.silu(conv2.forward(tape, h));
        int n = s.dim(0);
        h = tape.reshape(h, Shape.of(n, h.shape().size() / n));
        Var f = tape.silu(features.forward(tape, h));
        return new Output(f, head.forward(tape, f));
    }
}
