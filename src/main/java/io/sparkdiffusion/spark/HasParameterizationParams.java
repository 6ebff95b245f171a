package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.EdmParameterization;
import io.sparkdiffusion.diffusion.FlowParameterization;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.ParameterizationKind;
import io.sparkdiffusion.diffusion.LossWeighting;
import io.sparkdiffusion.diffusion.PreconditioningKind;
import io.sparkdiffusion.diffusion.TrainingSigma;
import io.sparkdiffusion.diffusion.VeParameterization;
import io.sparkdiffusion.diffusion.VpParameterization;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The parameterization Params, declared once for every stage that works with a {@link Parameterization}
 * ({@link ForwardNoiser}, and through {@link HasNetworkParams} {@link DiffusionTrainer} and
 * {@link DiffusionModel}); MLlib's shared-Params pattern, as {@code HasInputCol}: Spark finds Params through
 * public no-argument methods, default methods included.
 *
 * <p>They set the fields of the {@link Parameterization} record of the chosen kind ({@code sigmaData, pMean,
 * pStd} for edm; {@code betaD, betaMin, epsilonT, epsilonS, m} for vp; {@code veSigmaMin, veSigmaMax} for ve;
 * {@code trainingT, logitMean, logitStd, tMax, tMin, cNoiseScale} for flow; the other kinds' are ignored).
 * {@link #diffusionParameterization()} builds that record and the stages ship it to the executors, so every
 * field reaches the work as set. Setters are in {@link SetsParameterizationParams}, for the stages whose
 * parameterization may be changed.
 */
public interface HasParameterizationParams extends Params {

    /** The Param objects of this stage (created in its constructor). */
    ParameterizationParams parameterizationParams();

    default Param<String> parameterization() { return parameterizationParams().parameterization; }
    default DoubleParam sigmaData() { return parameterizationParams().sigmaData; }
    default DoubleParam pMean() { return parameterizationParams().pMean; }
    default DoubleParam pStd() { return parameterizationParams().pStd; }
    default Param<String> trainingSigma() { return parameterizationParams().trainingSigma; }
    default Param<String> lossWeighting() { return parameterizationParams().lossWeighting; }
    default Param<String> preconditioning() { return parameterizationParams().preconditioning; }
    default DoubleParam betaD() { return parameterizationParams().betaD; }
    default DoubleParam betaMin() { return parameterizationParams().betaMin; }
    default DoubleParam epsilonT() { return parameterizationParams().epsilonT; }
    default DoubleParam epsilonS() { return parameterizationParams().epsilonS; }
    default IntParam m() { return parameterizationParams().m; }
    default DoubleParam veSigmaMin() { return parameterizationParams().veSigmaMin; }
    default DoubleParam veSigmaMax() { return parameterizationParams().veSigmaMax; }
    default Param<String> trainingT() { return parameterizationParams().trainingT; }
    default DoubleParam logitMean() { return parameterizationParams().logitMean; }
    default DoubleParam logitStd() { return parameterizationParams().logitStd; }
    default DoubleParam tMax() { return parameterizationParams().tMax; }
    default DoubleParam tMin() { return parameterizationParams().tMin; }
    default DoubleParam cNoiseScale() { return parameterizationParams().cNoiseScale; }

    default String getParameterization() { return getOrDefault(parameterization()); }
    default double getSigmaData() { return (Double) getOrDefault(sigmaData()); }
    default double getPMean() { return (Double) getOrDefault(pMean()); }
    default double getPStd() { return (Double) getOrDefault(pStd()); }
    default String getTrainingSigma() { return getOrDefault(trainingSigma()); }
    default String getLossWeighting() { return getOrDefault(lossWeighting()); }
    default String getPreconditioning() { return getOrDefault(preconditioning()); }
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
            case VP -> new VpParameterization(getBetaD(), getBetaMin(), getEpsilonT(), getEpsilonS(), getM(),
                    TrainingSigma.parse(getTrainingSigma()), getPMean(), getPStd(),
                    LossWeighting.parse(getLossWeighting()), getSigmaData(),
                    PreconditioningKind.parse(getPreconditioning()));
            case VE -> new VeParameterization(getVeSigmaMin(), getVeSigmaMax(), TrainingSigma.parse(getTrainingSigma()),
                    getPMean(), getPStd(), LossWeighting.parse(getLossWeighting()), getSigmaData(),
                    PreconditioningKind.parse(getPreconditioning()));
            case FLOW -> new FlowParameterization(FlowParameterization.TrainingT.parse(getTrainingT()), getLogitMean(),
                    getLogitStd(), getTMax(), getTMin(), getCNoiseScale());
        };
    }
}
