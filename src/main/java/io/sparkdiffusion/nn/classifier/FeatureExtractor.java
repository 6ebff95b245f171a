package io.sparkdiffusion.nn.classifier;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

/**
 * Inference with trained {@link FeatureCnn} weights: the feature vector and the predicted class of one image at a
 * time. One image per pass, as the sampler does, because BLAS results depend on matrix shapes: an image's features
 * then never depend on which other images share its partition. Not thread-safe (one per task).
 */
public final class FeatureExtractor {
    private final FeatureCnn net;
    private final Tape tape = Tape.inference();

    /** @param weights the trained weights, {@code [numParameters]} */
    public FeatureExtractor(FeatureCnnConfig config, float[] weights) {
        net = new FeatureCnn(config, 0); // the seed only fills initial values, overwritten here
        net.parameters().setValues(weights);
    }

    public FeatureCnnConfig config() {
        return net.config();
    }

    /**
     * Writes the features of {@code image[offset, offset + C*H*W)} (CHW in [-1, 1]) into
     * {@code features[featuresOffset, + featureDim)} and returns the predicted class (the largest logit).
     */
    public int extract(float[] image, int offset, float[] features, int featuresOffset) {
        FeatureCnnConfig c = net.config();
        int size = c.imageSize();
        if (offset < 0 || offset + size > image.length) {
            throw new IllegalArgumentException("an image of " + c.imgChannels() + "x" + c.imgResolution() + "x"
                    + c.imgResolution() + " needs " + size + " floats from offset " + offset + ", array holds "
                    + image.length);
        }
        tape.reset();
        float[] x = new float[size];
        System.arraycopy(image, offset, x, 0, size);
        FeatureCnn.Output out = net.forward(tape, tape.constant(new Tensor(x,
                Shape.of(1, c.imgChannels(), c.imgResolution(), c.imgResolution()))));
        Tensor f = out.features().value();
        System.arraycopy(f.data(), f.offset(), features, featuresOffset, c.featureDim());
        Tensor logits = out.logits().value();
        int best = 0;
        for (int k = 1; k < c.numClasses(); k++) {
            if (logits.get(k) > logits.get(best)) {
                best = k;
            }
        }
        return best;
    }
}
