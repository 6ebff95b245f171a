package io.sparkdiffusion.spark;

import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The Param objects of {@link HasFeatureParams}, created by each stage in its constructor (a Param's parent is the
 * stage's uid).
 */
public final class FeatureParams {
    final Param<String> inputCol;
    final IntParam imageChannels;
    final IntParam imageSize;
    final IntParam numClasses;
    final IntParam channels;
    final IntParam featureDim;

    FeatureParams(Params owner) {
        inputCol = new Param<>(owner, "inputCol", "image column: array<float> CHW in [-1, 1] (e.g. from ImageTensorizer)");
        imageChannels = new IntParam(owner, "imageChannels", "image channels C (1 gray, 3 RGB)", Validators.intAtLeast(1));
        imageSize = new IntParam(owner, "imageSize", "image height and width, >= 4", Validators.intAtLeast(4));
        numClasses = new IntParam(owner, "numClasses", "number of classes the classifier predicts, >= 2",
                Validators.intAtLeast(2));
        channels = new IntParam(owner, "channels", "channels of the first convolution (then 2x and 4x)",
                Validators.intAtLeast(1));
        featureDim = new IntParam(owner, "featureDim", "width of the penultimate layer, the metrics' feature space",
                Validators.intAtLeast(1));
    }

    /** Sets the defaults on {@code s}, the owning stage (Scala's protected setDefault is public to Java). */
    void setDefaults(Params s) {
        s.setDefault(inputCol, "image");
        s.setDefault(imageChannels, 1);
        s.setDefault(imageSize, 28);
        s.setDefault(numClasses, 10);
        s.setDefault(channels, 16);
        s.setDefault(featureDim, 64);
    }
}
