package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.EdmParameterization;
import io.sparkdiffusion.diffusion.FlowParameterization;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.ParameterizationKind;
import io.sparkdiffusion.diffusion.VeParameterization;
import io.sparkdiffusion.diffusion.VpParameterization;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.nn.unet.UNetPreset;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The Params that describe the network, its parameterization and the data, declared once for
 * {@link DiffusionTrainer} and {@link DiffusionModel} (MLlib's shared-Params pattern, as {@code HasInputCol}:
 * Spark finds Params through public no-argument methods, default methods included). A trained model carries the
 * trainer's values; they are saved with it.
 *
 * <p>The parameterization Params set the fields of the {@link Parameterization} record of the chosen kind
 * ({@code sigmaData, pMean, pStd} for edm; {@code betaD, betaMin, epsilonT, epsilonS, m} for vp;
 * {@code veSigmaMin, veSigmaMax} for ve; {@code trainingT, logitMean, logitStd, tMax, tMin, cNoiseScale} for flow;
 * the others are ignored). {@link #diffusionParameterization()} builds that record and the stages ship it to the
 * executors, so every field reaches training and sampling as set. Setters are the trainer's: a trained model's
 * network is fixed.
 */
public interface HasNetworkParams extends Params {

    /** The Param objects of this stage (created in its constructor). */
    NetworkParams networkParams();

    /** Whether {@code param} is one of these Params (the CLI keeps them fixed when sampling a trained model). */
    default boolean isNetworkParam(Param<?> param) {
        return networkParams().all().contains(param);
    }

    default Param<String> parameterization() { return networkParams().parameterization; }
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
    default DoubleParam sigmaData() { return networkParams().sigmaData; }
    default DoubleParam pMean() { return networkParams().pMean; }
    default DoubleParam pStd() { return networkParams().pStd; }
    default DoubleParam betaD() { return networkParams().betaD; }
    default DoubleParam betaMin() { return networkParams().betaMin; }
    default DoubleParam epsilonT() { return networkParams().epsilonT; }
    default DoubleParam epsilonS() { return networkParams().epsilonS; }
    default IntParam m() { return networkParams().m; }
    default DoubleParam veSigmaMin() { return networkParams().veSigmaMin; }
    default DoubleParam veSigmaMax() { return networkParams().veSigmaMax; }
    default Param<String> trainingT() { return networkParams().trainingT; }
    default DoubleParam logitMean() { return networkParams().logitMean; }
    default DoubleParam logitStd() { return networkParams().logitStd; }
    default DoubleParam tMax() { return networkParams().tMax; }
    default DoubleParam tMin() { return networkParams().tMin; }
    default DoubleParam cNoiseScale() { return networkParams().cNoiseScale; }

    default String getParameterization() { return getOrDefault(parameterization()); }
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
    default double getSigmaData() { return (Double) getOrDefault(sigmaData()); }
    default double getPMean() { return (Double) getOrDefault(pMean()); }
    default double getPStd() { return (Double) getOrDefault(pStd()); }
    default double getBetaD() { return (Double) getOrDefault(betaD()); }
    default double getBetaMin() { return (Double) getOrDefault(betaMin()); }
    default double getEpsilonT() { return (Double) getOrDefault(epsilonT()); }
    default double getEpsilonS() { return (Double) getOrDefault(epsilonS()); }
    default int getM() { return (Integer) getOrDefault(m()); }
    default double getVeSigmaMin() { return (Double) getOrDefault(veSigmaMin()); }
    default double getVeSigmaMax() { return (Double) getOrDefault(veSigmaMax()); }
    default String getTrainingT() { return getOrDefault(trainingT()); }
    default double getLogitMean() { return (Double) getOrDefault(logitMean()); }
    default double getLogitStd() { return (Double) getOrDefault(logitStd()); }
    default double getTMax() { return (Double) getOrDefault(tMax()); }
    default double getTMin() { return (Double) getOrDefault(tMin()); }
    default double getCNoiseScale() { return (Double) getOrDefault(cNoiseScale()); }

    /** The network the settings describe: the {@code network} preset with the settings that override it. */
    default UNetConfig networkConfig() {
        return UNetPreset.parse(getNetwork()).config(getImageChannels(), getImageSize(), getNumClasses(),
                getModelChannels(), getChannelMult(), getNumResBlocks(), getAttnResolutions(), (float) getDropout());
    }

    /**
     * The parameterization the settings describe, validated by its record (e.g. {@code tMin < tMax}); edm's
     * sampling grid keeps its paper's range and {@code rho} (the model's sampler Params override those).
     */
    default Parameterization diffusionParameterization() {
        return switch (ParameterizationKind.parse(getParameterization())) {
            case EDM -> {
                EdmParameterization grid = EdmParameterization.defaults();
                yield new EdmParameterization(getSigmaData(), getPMean(), getPStd(), grid.sigmaMin(), grid.sigmaMax(),
                        grid.rho());
            }
            case VP -> new VpParameterization(getBetaD(), getBetaMin(), getEpsilonT(), getEpsilonS(), getM());
            case VE -> new VeParameterization(getVeSigmaMin(), getVeSigmaMax());
            case FLOW -> new FlowParameterization(FlowParameterization.TrainingT.parse(getTrainingT()), getLogitMean(),
                    getLogitStd(), getTMax(), getTMin(), getCNoiseScale());
        };
    }
}
