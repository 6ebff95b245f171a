package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.classifier.FeatureCnnConfig;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The Params that describe a feature network and its input, declared once for {@link FeatureNetwork} and
 * {@link FeatureNetworkModel} (MLlib's shared-Params pattern, like {@link HasNetworkParams}). Setters of the network
 * Params are the estimator's: a trained model's network is fixed.
 */
public interface HasFeatureParams extends Params {

    /** The Param objects of this stage (created in its constructor). */
    FeatureParams featureParams();

    default Param<String> inputCol() { return featureParams().inputCol; }
    default IntParam imageChannels() { return featureParams().imageChannels; }
    default IntParam imageSize() { return featureParams().imageSize; }
    default IntParam numClasses() { return featureParams().numClasses; }
    default IntParam channels() { return featureParams().channels; }
    default IntParam featureDim() { return featureParams().featureDim; }

    default String getInputCol() { return getOrDefault(inputCol()); }
    default int getImageChannels() { return (Integer) getOrDefault(imageChannels()); }
    default int getImageSize() { return (Integer) getOrDefault(imageSize()); }
    default int getNumClasses() { return (Integer) getOrDefault(numClasses()); }
    default int getChannels() { return (Integer) getOrDefault(channels()); }
    default int getFeatureDim() { return (Integer) getOrDefault(featureDim()); }

    /** The network the Params describe, validated. */
    default FeatureCnnConfig describedFeatureCnn() {
        return new FeatureCnnConfig(getImageChannels(), getImageSize(), getChannels(), getFeatureDim(),
                getNumClasses());
    }
}
