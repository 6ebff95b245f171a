package io.sparkdiffusion.spark;

/**
 * The setters of {@link HasParameterizationParams}, written once for the stages whose parameterization may be
 * changed ({@link DiffusionTrainer}, {@link ForwardNoiser}; a trained {@link DiffusionModel}'s is fixed). Each
 * returns the stage itself, typed as {@code S}, so calls chain as on any MLlib stage.
 *
 * @param <S> the stage implementing this interface
 */
public interface SetsParameterizationParams<S extends SetsParameterizationParams<S>> extends HasParameterizationParams {

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    default S setParameterization(String v) { set(parameterization(), v); return self(); }
    default S setSigmaData(double v) { set(sigmaData(), v); return self(); }
    default S setPMean(double v) { set(pMean(), v); return self(); }
    default S setPStd(double v) { set(pStd(), v); return self(); }
    default S setTrainingSigma(String v) { set(trainingSigma(), v); return self(); }
    default S setLossWeighting(String v) { set(lossWeighting(), v); return self(); }
    default S setPreconditioning(String v) { set(preconditioning(), v); return self(); }
    default S setBetaD(double v) { set(betaD(), v); return self(); }
    default S setBetaMin(double v) { set(betaMin(), v); return self(); }
    default S setEpsilonT(double v) { set(epsilonT(), v); return self(); }
    default S setEpsilonS(double v) { set(epsilonS(), v); return self(); }
    default S setM(int v) { set(m(), v); return self(); }
    default S setVeSigmaMin(double v) { set(veSigmaMin(), v); return self(); }
    default S setVeSigmaMax(double v) { set(veSigmaMax(), v); return self(); }
    default S setTrainingT(String v) { set(trainingT(), v); return self(); }
    default S setLogitMean(double v) { set(logitMean(), v); return self(); }
    default S setLogitStd(double v) { set(logitStd(), v); return self(); }
    default S setTMax(double v) { set(tMax(), v); return self(); }
    default S setTMin(double v) { set(tMin(), v); return self(); }
    default S setCNoiseScale(double v) { set(cNoiseScale(), v); return self(); }
}
