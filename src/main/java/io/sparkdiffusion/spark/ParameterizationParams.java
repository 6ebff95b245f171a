package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.EdmParameterization;
import io.sparkdiffusion.diffusion.FlowParameterization;
import io.sparkdiffusion.diffusion.LossWeighting;
import io.sparkdiffusion.diffusion.ParameterizationKind;
import io.sparkdiffusion.diffusion.PreconditioningKind;
import io.sparkdiffusion.diffusion.TrainingSigma;
import io.sparkdiffusion.diffusion.VeParameterization;
import io.sparkdiffusion.diffusion.VpParameterization;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

import java.util.List;

/**
 * The Param objects of {@link HasParameterizationParams} for one stage: the parameterization's kind and every
 * field of its record. Created once per stage in its constructor, after its uid is set; the stage hands them out
 * through the interface's default methods. Defaults are the records' own {@code defaults()}, so each number is
 * written once.
 */
public final class ParameterizationParams {
    final Param<String> parameterization;
    // EDM
    final DoubleParam sigmaData;
    final DoubleParam pMean;
    final DoubleParam pStd;
    // VP and VE
    final Param<String> trainingSigma;
    final Param<String> lossWeighting;
    final Param<String> preconditioning;
    // VP
    final DoubleParam betaD;
    final DoubleParam betaMin;
    final DoubleParam epsilonT;
    final DoubleParam epsilonS;
    final IntParam m;
    // VE
    final DoubleParam veSigmaMin;
    final DoubleParam veSigmaMax;
    // Flow
    final Param<String> trainingT;
    final DoubleParam logitMean;
    final DoubleParam logitStd;
    final DoubleParam tMax;
    final DoubleParam tMin;
    final DoubleParam cNoiseScale;

    ParameterizationParams(Params owner) {
        parameterization = Validators.choice(owner, "parameterization", "diffusion parameterization",
                Validators.ids(ParameterizationKind.values(), ParameterizationKind::id));
        sigmaData = new DoubleParam(owner, "sigmaData",
                "edm, and vp/ve with lossWeighting or preconditioning edm: standard deviation of the data, > 0",
                Validators.doubleAbove(0));
        pMean = new DoubleParam(owner, "pMean",
                "edm, and vp/ve with trainingSigma log-normal: mean of ln(sigma) during training", Validators.finite());
        pStd = new DoubleParam(owner, "pStd",
                "edm, and vp/ve with trainingSigma log-normal: standard deviation of ln(sigma) during training, > 0",
                Validators.doubleAbove(0));
        trainingSigma = Validators.choice(owner, "trainingSigma", "vp, ve: distribution of training sigma: paper (vp: "
                        + "t ~ U(epsilonT, 1); ve: log-uniform on [veSigmaMin, veSigmaMax]) or log-normal (EDM's, "
                        + "ln(sigma) ~ N(pMean, pStd^2)); see docs/parameterizations.md",
                Validators.ids(TrainingSigma.values(), TrainingSigma::id));
        lossWeighting = Validators.choice(owner, "lossWeighting", "vp, ve: loss weight lambda(sigma): paper (1/sigma^2, "
                        + "the epsilon loss) or edm (EDM's (sigma^2 + sigmaData^2)/(sigma sigmaData)^2); see "
                        + "docs/parameterizations.md",
                Validators.ids(LossWeighting.values(), LossWeighting::id));
        preconditioning = Validators.choice(owner, "preconditioning", "vp, ve: cSkip, cOut, cIn: paper (Table 1: the "
                        + "network predicts the noise) or edm (EDM's, with sigmaData; cNoise stays the "
                        + "parameterization's); see docs/parameterizations.md",
                Validators.ids(PreconditioningKind.values(), PreconditioningKind::id));
        betaD = new DoubleParam(owner, "betaD", "vp: extent of the noise schedule beta_d, > 0", Validators.doubleAbove(0));
        betaMin = new DoubleParam(owner, "betaMin", "vp: initial slope of the schedule beta_min, > 0",
                Validators.doubleAbove(0));
        epsilonT = new DoubleParam(owner, "epsilonT", "vp: smallest training t, in (0, 1)", Validators.doubleInOpen(0, 1));
        epsilonS = new DoubleParam(owner, "epsilonS", "vp: smallest sampling t (the vp time grid ends there), in (0, 1)",
                Validators.doubleInOpen(0, 1));
        m = new IntParam(owner, "m", "vp: steps M of the original discrete DDPM; cNoise = (M - 1) t, >= 1",
                Validators.intAtLeast(1));
        veSigmaMin = new DoubleParam(owner, "veSigmaMin", "ve: smallest noise level of training and sampling, > 0",
                Validators.doubleAbove(0));
        veSigmaMax = new DoubleParam(owner, "veSigmaMax", "ve: largest noise level, > veSigmaMin",
                Validators.doubleAbove(0));
        trainingT = Validators.choice(owner, "trainingT", "flow: distribution of training t",
                Validators.ids(FlowParameterization.TrainingT.values(), FlowParameterization.TrainingT::id));
        logitMean = new DoubleParam(owner, "logitMean", "flow: mean of logit(t) for logit-normal training t",
                Validators.finite());
        logitStd = new DoubleParam(owner, "logitStd", "flow: standard deviation of logit(t) for logit-normal training t, > 0",
                Validators.doubleAbove(0));
        tMax = new DoubleParam(owner, "tMax", "flow: where sampling starts, in (0, 1)", Validators.doubleInOpen(0, 1));
        tMin = new DoubleParam(owner, "tMin", "flow: smallest positive t of non-uniform sampling grids, in (0, tMax)",
                Validators.doubleInOpen(0, 1));
        cNoiseScale = new DoubleParam(owner, "cNoiseScale", "flow: cNoise = cNoiseScale * t, > 0",
                Validators.doubleAbove(0));
    }

    List<Param<?>> all() {
        return List.of(parameterization, sigmaData, pMean, pStd, trainingSigma, lossWeighting, preconditioning, betaD, betaMin, epsilonT, epsilonS, m, veSigmaMin,
                veSigmaMax, trainingT, logitMean, logitStd, tMax, tMin, cNoiseScale);
    }

    /** Sets the defaults on {@code s}, the owning stage (Scala's protected setDefault is public to Java). */
    void setDefaults(Params s) {
        s.setDefault(parameterization, ParameterizationKind.EDM.id());
        EdmParameterization edm = EdmParameterization.defaults();
        s.setDefault(sigmaData, edm.sigmaData());
        s.setDefault(pMean, edm.pMean());
        s.setDefault(pStd, edm.pStd());
        VpParameterization vp = VpParameterization.defaults();
        s.setDefault(trainingSigma, vp.trainingSigma().id());
        s.setDefault(lossWeighting, vp.lossWeighting().id());
        s.setDefault(preconditioning, vp.preconditioning().id());
        s.setDefault(betaD, vp.betaD());
        s.setDefault(betaMin, vp.betaMin());
        s.setDefault(epsilonT, vp.epsilonT());
        s.setDefault(epsilonS, vp.epsilonS());
        s.setDefault(m, vp.m());
        VeParameterization ve = VeParameterization.defaults();
        s.setDefault(veSigmaMin, ve.sigmaMin());
        s.setDefault(veSigmaMax, ve.sigmaMax());
        FlowParameterization flow = FlowParameterization.defaults();
        s.setDefault(trainingT, flow.trainingT().id());
        s.setDefault(logitMean, flow.logitMean());
        s.setDefault(logitStd, flow.logitStd());
        s.setDefault(tMax, flow.tMax());
        s.setDefault(tMin, flow.tMin());
        s.setDefault(cNoiseScale, flow.cNoiseScale());
    }
}
