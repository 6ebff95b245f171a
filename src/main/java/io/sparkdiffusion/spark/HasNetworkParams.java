package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.nn.unet.UNetPreset;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;

/**
 * The Params that describe the network, its parameterization and the data, declared once for
 * {@link DiffusionTrainer} and {@link DiffusionModel} (MLlib's shared-Params pattern, as {@code HasInputCol}:
 * Spark finds Params through public no-argument methods, default methods included). A trained model carries the
 * trainer's values; they are saved with it.
 *
 * <p>The parameterization Params are {@link HasParameterizationParams}' (shared with {@link ForwardNoiser});
 * {@link #diffusionParameterization()} builds the record the stages ship to the executors, so every field reaches
 * training and sampling as set. Setters are the trainer's: a trained model's network is fixed.
 */
public interface HasNetworkParams extends HasParameterizationParams {

    /** The Param objects of this stage (created in its constructor). */
    NetworkParams networkParams();

    @Override
    default ParameterizationParams parameterizationParams() { return networkParams().diffusion; }

    /** Whether {@code param} is one of these Params (the CLI keeps them fixed when sampling a trained model). */
    default boolean isNetworkParam(Param<?> param) {
        return networkParams().all().contains(param);
    }

    default Param<String> network() { return networkParams().network; }
    default IntParam imageChannels() { return networkParams().imageChannels; }
    default IntParam imageSize() { return networkParams().imageSize; }
    default IntParam numClasses() { return networkParams().numClasses; }
    default Param<String> labelCol() { return networkParams().labelCol; }
    default IntParam modelChannels() { return networkParams().modelChannels; }
    default IntArrayParam channelMult() { return networkParams().channelMult; }
    default IntParam numResBlocks() { return networkParams().numResBlocks; }
    default IntArrayParam attnResolutions() { return networkParams().attnResolutions; }
    default DoubleParam dropout() { return networkParams().dropout; }
    default DoubleParam labelScale() { return networkParams().labelScale; }

    default String getNetwork() { return getOrDefault(network()); }
    default int getImageChannels() { return (Integer) getOrDefault(imageChannels()); }
    default int getImageSize() { return (Integer) getOrDefault(imageSize()); }
    default int getNumClasses() { return (Integer) getOrDefault(numClasses()); }
    default String getLabelCol() { return getOrDefault(labelCol()); }
    default int getModelChannels() { return (Integer) getOrDefault(modelChannels()); }
    default int[] getChannelMult() { return getOrDefault(channelMult()); }
    default int getNumResBlocks() { return (Integer) getOrDefault(numResBlocks()); }
    default int[] getAttnResolutions() { return getOrDefault(attnResolutions()); }
    default double getDropout() { return (Double) getOrDefault(dropout()); }
    default double getLabelScale() { return (Double) getOrDefault(labelScale()); }

    /** The network the settings describe: the {@code network} preset with the settings that override it. */
    default UNetConfig networkConfig() {
        return UNetPreset.parse(getNetwork()).config(getImageChannels(), getImageSize(), getNumClasses(),
                getModelChannels(), getChannelMult(), getNumResBlocks(), getAttnResolutions(), (float) getDropout())
                .withLabelScale((float) getLabelScale());
    }
}
