package io.sparkdiffusion.train;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.nn.classifier.FeatureCnn;
import io.sparkdiffusion.nn.classifier.FeatureCnnConfig;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Softmax cross-entropy of a {@link FeatureCnn} on labelled images: the objective of the feature network, run by
 * the same parameter-averaging trainer as the diffusion loss. Draws nothing from the step's stream (the batch
 * itself is the only randomness).
 */
public final class ClassifierObjective implements Objective {
    private final FeatureCnnConfig config;
    private transient FeatureCnn net;
    private transient Tape tape;

    public ClassifierObjective(FeatureCnnConfig config) {
        this.config = config;
    }

    public FeatureCnnConfig config() {
        return config;
    }

    @Override
    public int numParameters() {
        return network().numParameters();
    }

    @Override
    public void initialize(float[] params, long seed) {
        float[] init = new FeatureCnn(config, seed).parameters().values();
        System.arraycopy(init, 0, params, 0, params.length);
    }

    /** The classifier draws nothing at random: the same loss as the per-batch method. */
    @Override
    public double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom[] rowRandoms) {
        return lossAndGradient(params, grads, batch, (SplittableRandom) null);
    }

    @Override
    public double lossAndGradient(float[] params, float[] grads, Batch batch, SplittableRandom random) {
        if (batch.imageSize() != config.imageSize()) {
            throw new IllegalArgumentException("batch images hold " + batch.imageSize() + " floats, the classifier"
                    + " expects " + config.imageSize() + " (" + config.imgChannels() + "x" + config.imgResolution() + "x"
                    + config.imgResolution() + ")");
        }
        int[] labels = batch.labels();
        if (labels == null) {
            throw new IllegalArgumentException("the feature classifier trains on labelled images; this batch has none");
        }
        for (int y : labels) {
            if (y < 0) {
                throw new IllegalArgumentException("the feature classifier needs a label on every image; got a null"
                        + " (-1) label: drop unlabelled rows first");
            }
        }
        FeatureCnn cnn = network();
        if (tape == null) {
            tape = new Tape();
        }
        cnn.parameters().setValues(params);
        cnn.parameters().zeroGrads();
        tape.reset();
        Shape shape = Shape.of(batch.size(), config.imgChannels(), config.imgResolution(), config.imgResolution());
        Var logits = cnn.forward(tape, tape.constant(new Tensor(batch.images(), shape))).logits();
        Var loss = tape.softmaxCrossEntropy(logits, labels);
        tape.backward(loss);
        double value = loss.value().get(0);
        System.arraycopy(cnn.parameters().grads(), 0, grads, 0, grads.length);
        tape.reset();
        return value;
    }

    private FeatureCnn network() {
        if (net == null) {
            net = new FeatureCnn(config, 0);
        }
        return net;
    }
}
