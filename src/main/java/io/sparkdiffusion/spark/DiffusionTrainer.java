package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.optim.Ema;
import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.train.DivergencePolicy;
import io.sparkdiffusion.train.DiffusionObjective;
import io.sparkdiffusion.train.OuterOptimizer;
import io.sparkdiffusion.train.RoundListener;
import io.sparkdiffusion.train.RoundPlan;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.SyncMode;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingState;
import io.sparkdiffusion.train.TrainingSummary;
import io.sparkdiffusion.metrics.PrecisionRecall;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;

/**
 * Trains a diffusion model by parameter averaging and returns a {@link DiffusionModel}.
 *
 * <p>Input: {@code inputCol} with CHW images in [-1, 1] ({@code array<float>}, e.g. from {@link ImageTensorizer}),
 * and optionally {@code labelCol}. Each partition of the input is one worker's shard (repartition first to
 * choose the parallelism); shards are cached for the whole fit. Each round is one Spark job: broadcast the
 * weights, {@code localSteps} optimizer steps of {@code batchSize} images per partition, image-weighted average
 * through {@code treeAggregate} or, for large models, averaged parameter slices ({@code reduction}, see
 * {@link Reduction}), the outer step ({@code outerOptimizer}: the mean itself, or DiLoCo's Nesterov step on the
 * round's mean change, see {@link OuterOptimizer}) and the EMA update on the driver (see
 * {@link DistributedTraining}). With {@code outerInterval > 0} the Nesterov step moves into the partitions: each
 * takes it every {@code outerInterval} local steps ({@link io.sparkdiffusion.nn.optim.Optimizer.Lookahead}), and the
 * rounds average weights, optimizer state and outer state plainly, so the outer step can come more often than the
 * rounds. With {@code syncMode gradients} every step is a round instead: the partitions send
 * the gradients of their part of the global batch and the driver takes the optimizer step, on images grouped so
 * that any number of partitions trains the same model ({@link io.sparkdiffusion.train.SyncMode}). Before the first
 * round the fit checks that a round fits the Spark settings in force ({@link Preflight}).
 *
 * <p>The run lasts {@code numRounds} rounds, or, when {@code numImages > 0}, as many rounds as it takes to train on
 * {@code numImages} images. With {@code checkpointDir} set, the state is saved every {@code checkpointInterval}
 * rounds and a fit with the same directory resumes from the latest checkpoint (see docs/faults.md) if it was
 * trained on the same partitions (any, with {@code syncMode gradients}), data and trajectory Params
 * ({@link RunFingerprint}), or {@code forceResume} is set. A round whose
 * loss, weights or optimizer state are not finite is discarded; {@code onDivergence} says whether the run then
 * stops with a {@link io.sparkdiffusion.train.TrainingDivergedException} or backs off the learning rate.
 *
 * <p>With {@code evalInterval > 0}, the EMA weights are scored every {@code evalInterval} rounds and after the last
 * ({@link TrainingEvaluation}: {@code evalSamples} samples with fixed seeds, scored by a {@link DiffusionEvaluator}
 * against the feature network at {@code featureModelPath}); the listener hears each evaluation and the model's
 * {@link TrainingSummary#evaluations()} keeps them. Evaluation does not change the trained weights.
 */
public final class DiffusionTrainer extends Estimator<DiffusionModel> implements DefaultParamsWritable, HasNetworkParams,
        SetsParameterizationParams<DiffusionTrainer> {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(DiffusionTrainer.class.getName());

    private final String uid;
    private final NetworkParams net;
    private final Param<String> inputCol;
    private final DoubleParam labelDropout;
    private final IntParam batchSize;
    private final IntParam globalBatchSize;
    private final IntParam localSteps;
    private final LongParam shortRoundImages;
    private final IntParam numRounds;
    private final LongParam numImages;
    private final Param<String> optimizer;
    private final DoubleParam learningRate;
    private final LongParam warmupSteps;
    private final Param<String> learningRateDecay;
    private final DoubleParam beta1;
    private final DoubleParam beta2;
    private final DoubleParam gradClip;
    private final DoubleParam emaHalfLifeImages;
    private final DoubleParam emaRampupRatio;
    private final BooleanParam averageOptimizerState;
    private final Param<String> outerOptimizer;
    private final Param<String> syncMode;
    private final DoubleParam outerLearningRate;
    private final DoubleParam outerMomentum;
    private final IntParam outerInterval;
    private final BooleanParam outerFollowsSchedule;
    private final LongParam seed;
    private final Param<String> checkpointDir;
    private final IntParam checkpointInterval;
    private final Param<String> onDivergence;
    private final DoubleParam learningRateBackoff;
    private final IntParam maxBackoffs;
    private final Param<String> reduction;
    private final IntParam evalInterval;
    private final IntParam evalSamples;
    private final Param<String> featureModelPath;
    private final BooleanParam forceResume;
    private transient RoundListener roundListener;
    private transient FeatureNetworkModel evalFeatureModel;
    private transient DiffusionModel evalSampling;

    public DiffusionTrainer() {
        this(Identifiable$.MODULE$.randomUID("diffusionTrainer"));
    }

    public DiffusionTrainer(String uid) {
        this.uid = uid;
        net = new NetworkParams(this);
        inputCol = new Param<>(this, "inputCol", "training images: array<float>/array<double>/Vector, CHW in [-1, 1]");
        labelDropout = new DoubleParam(this, "labelDropout",
                "probability of training a labelled image as unlabelled (for classifier-free guidance), in [0, 1]",
                Validators.doubleIn(0, 1));
        batchSize = new IntParam(this, "batchSize", "images per optimizer step on each partition", Validators.intAtLeast(1));
        globalBatchSize = new IntParam(this, "globalBatchSize", "images per optimizer step summed over the partitions, "
                + "split as evenly as it goes (in place of batchSize), so that a run on more partitions makes as many "
                + "sequential steps at equal images; at least the partition count; 0: batchSize on every partition", Validators.intAtLeast(0));
        localSteps = new IntParam(this, "localSteps",
                "optimizer steps each partition runs between two averagings (one round)", Validators.intAtLeast(1));
        shortRoundImages = new LongParam(this, "shortRoundImages", "post-local SGD (Lin et al. 2020): the first "
                + "images train in rounds of one local step, plainly averaged, the rest in rounds of localSteps with the "
                + "outer optimizer; rounds are long once the weights move slowly; 0: every round has localSteps "
                + "(syncMode weights only)", Validators.longAtLeast(0));
        numRounds = new IntParam(this, "numRounds", "rounds to train (used when numImages is 0)", Validators.intAtLeast(1));
        numImages = new LongParam(this, "numImages",
                "images to train on in total, over all partitions; 0 trains numRounds rounds instead",
                Validators.longAtLeast(0));
        optimizer = Validators.choice(this, "optimizer", "update rule", List.of(Optimizer.NAMES));
        learningRate = new DoubleParam(this, "learningRate", "peak learning rate, > 0", Validators.doubleAbove(0));
        warmupSteps = new LongParam(this, "warmupSteps",
                "steps over which the learning rate ramps up linearly from 0; 0 for none", Validators.longAtLeast(0));
        learningRateDecay = Validators.choice(this, "learningRateDecay", "after the warm-up: none (the peak rate to "
                + "the end) or cosine (a half cosine from the peak to near 0 over the run's planned steps, numImages or "
                + "numRounds; resuming with another numImages reshapes the rest of it)", List.of("none", "cosine"));
        beta1 = new DoubleParam(this, "beta1", "Adam's first-moment decay, in [0, 1)", Validators.doubleInHalfOpen(0, 1));
        beta2 = new DoubleParam(this, "beta2", "Adam's second-moment decay, in [0, 1)", Validators.doubleInHalfOpen(0, 1));
        gradClip = new DoubleParam(this, "gradClip", "largest global L2 norm of a step's gradient; 0 disables clipping",
                Validators.doubleAtLeast(0));
        emaHalfLifeImages = new DoubleParam(this, "emaHalfLifeImages",
                "half-life of the weights' EMA in trained images; 0 makes the EMA the weights", Validators.doubleAtLeast(0));
        emaRampupRatio = new DoubleParam(this, "emaRampupRatio",
                "EMA half-life at most this fraction of the images trained so far (EDM); 0 disables", Validators.doubleAtLeast(0));
        averageOptimizerState = new BooleanParam(this, "averageOptimizerState",
                "average the optimizer state across partitions like the weights (else each partition keeps its own)");
        outerOptimizer = Validators.choice(this, "outerOptimizer", "what the driver makes of the partitions' mean "
                + "weights after each round: take them (average) or DiLoCo's outer step, SGD with Nesterov momentum on "
                + "the round's mean change (nesterov)", List.of(OuterOptimizer.NAMES));
        syncMode = Validators.choice(this, "syncMode", "what the partitions send the driver: their weights after "
                + "localSteps steps, averaged (weights: few rounds, but more partitions give fewer, larger averaged steps), "
                + "or their gradients every step, from which the driver steps (gradients: localSteps 1 and "
                + "globalBatchSize set; the same model on any number of partitions, one round per step)",
                Validators.ids(SyncMode.values(), SyncMode::id));
        outerLearningRate = new DoubleParam(this, "outerLearningRate",
                "nesterov: learning rate of the outer step, > 0 (DiLoCo: 0.7)", Validators.doubleAbove(0));
        outerMomentum = new DoubleParam(this, "outerMomentum",
                "nesterov: momentum of the outer step, in [0, 1) (DiLoCo: 0.9)", Validators.doubleInHalfOpen(0, 1));
        outerInterval = new IntParam(this, "outerInterval", "nesterov: take the outer step on each partition every "
                + "outerInterval local steps (Lookahead's slow weights with DiLoCo's step), while the rounds average "
                + "the weights, the optimizer state and the outer state every localSteps; 0: the driver's outer step "
                + "at each round's end", Validators.intAtLeast(0));
        outerFollowsSchedule = new BooleanParam(this, "outerFollowsSchedule", "nesterov: keep the outer momentum in "
                + "units of the round's inner learning rate and scale each step by it (SlowMo, Wang et al. 2020), so "
                + "that the outer step decays with the learning rate (warm-up, cosine); false: DiLoCo's step at a "
                + "fixed rate");
        seed = new LongParam(this, "seed", "seed of the initial weights and of every training draw");
        checkpointDir = new Param<>(this, "checkpointDir",
                "directory (any Hadoop path) for training checkpoints, resumed from when present; empty for none");
        checkpointInterval = new IntParam(this, "checkpointInterval", "rounds between checkpoints", Validators.intAtLeast(1));
        onDivergence = Validators.choice(this, "onDivergence", "when a round's loss, weights or optimizer state are NaN "
                + "or infinite, the round is discarded and the run stops with an error (stop) or reruns it at a lower "
                + "learning rate (backoff)", Validators.ids(DivergencePolicy.Action.values(),
                DivergencePolicy.Action::settingName));
        learningRateBackoff = new DoubleParam(this, "learningRateBackoff",
                "factor on the learning rate at each divergence backoff, in (0, 1)", Validators.doubleInOpen(0, 1));
        maxBackoffs = new IntParam(this, "maxBackoffs", "most divergence backoffs in one run, >= 1", Validators.intAtLeast(1));
        reduction = Validators.choice(this, "reduction", "how each round is averaged: tree (treeAggregate of partial "
                + "sums; small models), sliced (executors average parameter slices; the driver receives only the "
                + "averaged model) or auto (the tree while its partial sums are small, logged)",
                Validators.ids(Reduction.values(), Reduction::settingName));
        evalInterval = new IntParam(this, "evalInterval", "rounds between sample-quality evaluations of the EMA weights "
                + "(and one after the last round), scored against featureModelPath; 0 turns evaluation off",
                Validators.intAtLeast(0));
        evalSamples = new IntParam(this, "evalSamples", "samples each evaluation draws (seeds 0 .. evalSamples-1, the "
                + "same every time), > " + PrecisionRecall.DEFAULT_K + " (precision and recall need more rows than "
                + "their k = " + PrecisionRecall.DEFAULT_K + " neighbours)", Validators.intAtLeast(PrecisionRecall.DEFAULT_K + 1));
        featureModelPath = new Param<>(this, "featureModelPath", "the feature network (a FeatureNetworkModel saved by "
                + "./submit.sh features, with reference statistics) that scores the evaluations; empty for none");
        forceResume = new BooleanParam(this, "forceResume", "resume from checkpointDir even when its checkpoint was "
                + "trained on another partition count (with syncMode weights), other data or other settings (else "
                + "that is an error)");

        net.setDefaults(this);
        setDefault(inputCol, "tensor");
        setDefault(labelDropout, 0.1);
        setDefault(batchSize, 32);
        setDefault(globalBatchSize, 0);
        setDefault(localSteps, 20);
        setDefault(shortRoundImages, 0L);
        setDefault(numRounds, 10);
        setDefault(numImages, 0L);
        setDefault(optimizer, "adam");
        setDefault(learningRate, 1e-3);
        setDefault(warmupSteps, 100L);
        setDefault(learningRateDecay, "none");
        setDefault(beta1, 0.9);
        setDefault(beta2, 0.999);
        setDefault(gradClip, 1.0);
        setDefault(emaHalfLifeImages, 50_000.0);
        setDefault(emaRampupRatio, 0.05);
        setDefault(averageOptimizerState, true);
        setDefault(outerOptimizer, "average");
        setDefault(syncMode, "weights");
        setDefault(outerLearningRate, OuterOptimizer.DILOCO_LEARNING_RATE);
        setDefault(outerMomentum, OuterOptimizer.DILOCO_MOMENTUM);
        setDefault(outerFollowsSchedule, false);
        setDefault(outerInterval, 0);
        setDefault(seed, 0L);
        setDefault(checkpointDir, "");
        setDefault(checkpointInterval, 10);
        setDefault(onDivergence, "stop");
        setDefault(learningRateBackoff, 0.5);
        setDefault(maxBackoffs, 3);
        setDefault(reduction, "auto");
        setDefault(evalInterval, 0);
        setDefault(evalSamples, 1000);
        setDefault(featureModelPath, "");
        setDefault(forceResume, false);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override public NetworkParams networkParams() { return net; }

    // Training Params.
    public Param<String> inputCol() { return inputCol; }
    public DoubleParam labelDropout() { return labelDropout; }
    public IntParam batchSize() { return batchSize; }
    public IntParam globalBatchSize() { return globalBatchSize; }
    public IntParam localSteps() { return localSteps; }
    public LongParam shortRoundImages() { return shortRoundImages; }
    public IntParam numRounds() { return numRounds; }
    public LongParam numImages() { return numImages; }
    public Param<String> optimizer() { return optimizer; }
    public DoubleParam learningRate() { return learningRate; }
    public LongParam warmupSteps() { return warmupSteps; }
    public Param<String> learningRateDecay() { return learningRateDecay; }
    public DoubleParam beta1() { return beta1; }
    public DoubleParam beta2() { return beta2; }
    public DoubleParam gradClip() { return gradClip; }
    public DoubleParam emaHalfLifeImages() { return emaHalfLifeImages; }
    public DoubleParam emaRampupRatio() { return emaRampupRatio; }
    public BooleanParam averageOptimizerState() { return averageOptimizerState; }
    public Param<String> outerOptimizer() { return outerOptimizer; }
    public Param<String> syncMode() { return syncMode; }
    public DoubleParam outerLearningRate() { return outerLearningRate; }
    public DoubleParam outerMomentum() { return outerMomentum; }
    public IntParam outerInterval() { return outerInterval; }
    public BooleanParam outerFollowsSchedule() { return outerFollowsSchedule; }
    public LongParam seed() { return seed; }
    public Param<String> checkpointDir() { return checkpointDir; }
    public IntParam checkpointInterval() { return checkpointInterval; }
    public Param<String> onDivergence() { return onDivergence; }
    public DoubleParam learningRateBackoff() { return learningRateBackoff; }
    public IntParam maxBackoffs() { return maxBackoffs; }
    public Param<String> reduction() { return reduction; }
    public IntParam evalInterval() { return evalInterval; }
    public IntParam evalSamples() { return evalSamples; }
    public Param<String> featureModelPath() { return featureModelPath; }
    public BooleanParam forceResume() { return forceResume; }

    public String getInputCol() { return $(inputCol); }
    public double getLabelDropout() { return (Double) $(labelDropout); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public int getGlobalBatchSize() { return (Integer) $(globalBatchSize); }
    public int getLocalSteps() { return (Integer) $(localSteps); }
    public long getShortRoundImages() { return (Long) $(shortRoundImages); }
    public int getNumRounds() { return (Integer) $(numRounds); }
    public long getNumImages() { return (Long) $(numImages); }
    public String getOptimizer() { return $(optimizer); }
    public double getLearningRate() { return (Double) $(learningRate); }
    public long getWarmupSteps() { return (Long) $(warmupSteps); }
    public String getLearningRateDecay() { return $(learningRateDecay); }
    public double getBeta1() { return (Double) $(beta1); }
    public double getBeta2() { return (Double) $(beta2); }
    public double getGradClip() { return (Double) $(gradClip); }
    public double getEmaHalfLifeImages() { return (Double) $(emaHalfLifeImages); }
    public double getEmaRampupRatio() { return (Double) $(emaRampupRatio); }
    public boolean getAverageOptimizerState() { return (Boolean) $(averageOptimizerState); }
    public String getOuterOptimizer() { return $(outerOptimizer); }
    public String getSyncMode() { return $(syncMode); }
    public double getOuterLearningRate() { return (Double) $(outerLearningRate); }
    public double getOuterMomentum() { return (Double) $(outerMomentum); }
    public int getOuterInterval() { return (Integer) $(outerInterval); }
    public boolean getOuterFollowsSchedule() { return (Boolean) $(outerFollowsSchedule); }
    public long getSeed() { return (Long) $(seed); }
    public String getCheckpointDir() { return $(checkpointDir); }
    public int getCheckpointInterval() { return (Integer) $(checkpointInterval); }
    public String getOnDivergence() { return $(onDivergence); }
    public double getLearningRateBackoff() { return (Double) $(learningRateBackoff); }
    public int getMaxBackoffs() { return (Integer) $(maxBackoffs); }
    public String getReduction() { return $(reduction); }
    public int getEvalInterval() { return (Integer) $(evalInterval); }
    public int getEvalSamples() { return (Integer) $(evalSamples); }
    public String getFeatureModelPath() { return $(featureModelPath); }
    public boolean getForceResume() { return (Boolean) $(forceResume); }

    public DiffusionTrainer setNetwork(String v) { set(net.network, v); return this; }
    public DiffusionTrainer setImageChannels(int v) { set(net.imageChannels, v); return this; }
    public DiffusionTrainer setImageSize(int v) { set(net.imageSize, v); return this; }
    public DiffusionTrainer setNumClasses(int v) { set(net.numClasses, v); return this; }
    public DiffusionTrainer setLabelCol(String v) { set(net.labelCol, v); return this; }
    public DiffusionTrainer setModelChannels(int v) { set(net.modelChannels, v); return this; }
    public DiffusionTrainer setChannelMult(int[] v) { set(net.channelMult, v); return this; }
    public DiffusionTrainer setNumResBlocks(int v) { set(net.numResBlocks, v); return this; }
    public DiffusionTrainer setAttnResolutions(int[] v) { set(net.attnResolutions, v); return this; }
    public DiffusionTrainer setDropout(double v) { set(net.dropout, v); return this; }
    public DiffusionTrainer setLabelScale(double v) { set(net.labelScale, v); return this; }
    public DiffusionTrainer setInputCol(String v) { set(inputCol, v); return this; }
    public DiffusionTrainer setLabelDropout(double v) { set(labelDropout, v); return this; }
    public DiffusionTrainer setBatchSize(int v) { set(batchSize, v); return this; }
    public DiffusionTrainer setGlobalBatchSize(int v) { set(globalBatchSize, v); return this; }
    public DiffusionTrainer setLocalSteps(int v) { set(localSteps, v); return this; }
    public DiffusionTrainer setShortRoundImages(long v) { set(shortRoundImages, v); return this; }
    public DiffusionTrainer setNumRounds(int v) { set(numRounds, v); return this; }
    public DiffusionTrainer setNumImages(long v) { set(numImages, v); return this; }
    public DiffusionTrainer setOptimizer(String v) { set(optimizer, v); return this; }
    public DiffusionTrainer setLearningRate(double v) { set(learningRate, v); return this; }
    public DiffusionTrainer setWarmupSteps(long v) { set(warmupSteps, v); return this; }
    public DiffusionTrainer setLearningRateDecay(String v) { set(learningRateDecay, v); return this; }
    public DiffusionTrainer setBeta1(double v) { set(beta1, v); return this; }
    public DiffusionTrainer setBeta2(double v) { set(beta2, v); return this; }
    public DiffusionTrainer setGradClip(double v) { set(gradClip, v); return this; }
    public DiffusionTrainer setEmaHalfLifeImages(double v) { set(emaHalfLifeImages, v); return this; }
    public DiffusionTrainer setEmaRampupRatio(double v) { set(emaRampupRatio, v); return this; }
    public DiffusionTrainer setAverageOptimizerState(boolean v) { set(averageOptimizerState, v); return this; }
    public DiffusionTrainer setOuterOptimizer(String v) { set(outerOptimizer, v); return this; }
    public DiffusionTrainer setSyncMode(String v) { set(syncMode, v); return this; }
    public DiffusionTrainer setOuterLearningRate(double v) { set(outerLearningRate, v); return this; }
    public DiffusionTrainer setOuterMomentum(double v) { set(outerMomentum, v); return this; }
    public DiffusionTrainer setOuterInterval(int v) { set(outerInterval, v); return this; }
    public DiffusionTrainer setOuterFollowsSchedule(boolean v) { set(outerFollowsSchedule, v); return this; }
    public DiffusionTrainer setSeed(long v) { set(seed, v); return this; }
    public DiffusionTrainer setCheckpointDir(String v) { set(checkpointDir, v); return this; }
    public DiffusionTrainer setCheckpointInterval(int v) { set(checkpointInterval, v); return this; }
    public DiffusionTrainer setOnDivergence(String v) { set(onDivergence, v); return this; }
    public DiffusionTrainer setLearningRateBackoff(double v) { set(learningRateBackoff, v); return this; }
    public DiffusionTrainer setMaxBackoffs(int v) { set(maxBackoffs, v); return this; }
    public DiffusionTrainer setReduction(String v) { set(reduction, v); return this; }
    public DiffusionTrainer setEvalInterval(int v) { set(evalInterval, v); return this; }
    public DiffusionTrainer setEvalSamples(int v) { set(evalSamples, v); return this; }
    public DiffusionTrainer setFeatureModelPath(String v) { set(featureModelPath, v); return this; }
    public DiffusionTrainer setForceResume(boolean v) { set(forceResume, v); return this; }

    /** Called on the driver after every round (not a Param: not saved, but kept by {@link #copy}). */
    public DiffusionTrainer setRoundListener(RoundListener listener) {
        this.roundListener = listener;
        return this;
    }

    public RoundListener getRoundListener() {
        return roundListener;
    }

    /**
     * The feature network of the evaluations, in memory (not a Param: not saved, but kept by {@link #copy}); used
     * instead of {@code featureModelPath}.
     */
    public DiffusionTrainer setEvalFeatureModel(FeatureNetworkModel model) {
        this.evalFeatureModel = model;
        return this;
    }

    /**
     * A model whose explicitly set sampler Params ({@code sampler}, {@code numSteps}, {@code guidanceWeight}, ...)
     * the evaluations sample with, as {@link DiffusionModel#copySamplingParams} copies them; null (the default):
     * the model's default sampler. Not a Param: not saved, but kept by {@link #copy}.
     */
    public DiffusionTrainer setEvalSampling(DiffusionModel settings) {
        this.evalSampling = settings;
        return this;
    }

    /**
     * Checks the evaluation settings that need no data and no Spark: with {@code evalInterval > 0} a feature network
     * must be set, and the evaluation's sampler settings must be valid.
     */
    public void checkEvaluationSettings() {
        if (evaluates() && evalFeatureModel == null && getFeatureModelPath().isEmpty()) {
            throw new IllegalArgumentException("evalInterval is " + getEvalInterval() + " but there is no feature "
                    + "network to score the evaluations: set featureModelPath to a FeatureNetworkModel saved by "
                    + "./submit.sh features (or call setEvalFeatureModel), or set evalInterval to 0");
        }
        if (evalSampling != null) {
            evalSampling.samplerSettings();
        }
    }

    /** Whether the run evaluates sample quality. */
    public boolean evaluates() {
        return getEvalInterval() > 0;
    }


    /**
     * The training settings as the plain-Java record the train package runs on; with {@code globalBatchSize} set,
     * each partition's batch follows from the partition count ({@link TrainingConfig#batchSizes}).
     */
    public TrainingConfig trainingConfig() {
        Optimizer optimizer = Optimizer.parse(getOptimizer(), getBeta1(), getBeta2(), 1e-8);
        OuterOptimizer outer = OuterOptimizer.parse(getOuterOptimizer(), getOuterLearningRate(), getOuterMomentum(),
                getOuterFollowsSchedule());
        if (getOuterInterval() > 0) {
            // The outer step moves into the partitions' optimizer; the rounds then average plainly.
            if (!(outer instanceof OuterOptimizer.Nesterov n)) {
                throw new IllegalArgumentException("outerInterval is " + getOuterInterval() + ", which takes the "
                        + "nesterov outer step every outerInterval local steps, but outerOptimizer is "
                        + getOuterOptimizer() + ": set outerOptimizer to nesterov, or outerInterval to 0");
            }
            if (n.followsSchedule()) {
                throw new IllegalArgumentException("outerInterval is " + getOuterInterval() + " and "
                        + "outerFollowsSchedule is true, which only the driver's outer step at the round's end "
                        + "supports: set outerFollowsSchedule to false, or outerInterval to 0");
            }
            if (!getAverageOptimizerState()) {
                throw new IllegalArgumentException("outerInterval is " + getOuterInterval() + " and "
                        + "averageOptimizerState is false, but each partition's outer step needs the averaged weights "
                        + "of the last one (they live in the optimizer state): set averageOptimizerState to true, or "
                        + "outerInterval to 0");
            }
            optimizer = new Optimizer.Lookahead(optimizer, getOuterInterval(), n.learningRate(), n.momentum(), false);
            outer = OuterOptimizer.AVERAGE;
        }
        return new TrainingConfig(getBatchSize(), getLocalSteps(), getLearningRate(), getWarmupSteps(), getGradClip(),
                optimizer, getEmaHalfLifeImages(), getEmaRampupRatio(), getAverageOptimizerState(), getSeed(), outer,
                getGlobalBatchSize(), SyncMode.parse(getSyncMode()));
    }

    /** What a diverged round leads to. */
    public DivergencePolicy divergencePolicy() {
        return new DivergencePolicy(DivergencePolicy.Action.parse(getOnDivergence()), getLearningRateBackoff(),
                getMaxBackoffs());
    }

    /** The loss the partitions minimize. */
    public DiffusionObjective objective() {
        return new DiffusionObjective(networkConfig(), diffusionParameterization(), getLabelDropout());
    }

    /**
     * Checks the training columns and every setting; returns {@code schema} unchanged (the model generates from
     * a seed column, not from the training rows).
     */
    @Override
    public StructType transformSchema(StructType schema) {
        ImageColumns.requireTensorColumn(schema, getInputCol(), "inputCol");
        NetworkParams.validateLabels(schema, getLabelCol(), getNumClasses());
        if (getNumClasses() > 0 && getLabelCol().isEmpty()) {
            throw new IllegalArgumentException("numClasses is " + getNumClasses()
                    + " but labelCol is empty: set labelCol to the class-label column, or numClasses to 0");
        }
        networkConfig();
        diffusionParameterization();
        TrainingConfig config = trainingConfig();
        if (getShortRoundImages() > 0 && config.syncMode() == SyncMode.GRADIENTS) {
            throw new IllegalArgumentException("shortRoundImages is " + getShortRoundImages() + ", but syncMode "
                    + "gradients has rounds of one step throughout: set shortRoundImages to 0, or use syncMode weights "
                    + "for short rounds first and rounds of localSteps after them");
        }
        checkEvaluationSettings();
        return schema;
    }

    @Override
    public DiffusionModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        UNetConfig spec = networkConfig();
        DiffusionEvaluator evaluator = evaluates() ? evaluator(spec) : null;
        DiffusionObjective objective = objective();
        TrainingConfig config = trainingConfig();
        boolean gradients = config.syncMode() == SyncMode.GRADIENTS;
        String labels = getLabelCol().isEmpty() ? null : getLabelCol();
        JavaRDD<Shard> shards = gradients
                ? DistributedTraining.groupedShards(dataset.toDF(), getInputCol(), labels, spec.imageSize(),
                getNumClasses(), config.globalBatchSize())
                : DistributedTraining.shards(dataset.toDF(), getInputCol(), labels, spec.imageSize(), getNumClasses());
        try {
            String batches = config.batchDescription(shards.getNumPartitions());
            if (getGlobalBatchSize() > 0) {
                LOG.log(System.Logger.Level.INFO, "DiffusionTrainer " + uid + ": globalBatchSize " + getGlobalBatchSize()
                        + " per step: " + batches + " (batchSize " + getBatchSize() + " is not used)");
            }
            List<RunFingerprint.ShardDigest> digests;
            try (JobGroup group = JobGroup.open(dataset.sparkSession().sparkContext(), uid,
                    "DiffusionTrainer " + uid + ": caching the training data")) {
                digests = RunFingerprint.digest(shards);
            }
            int[] sizes = digests.stream().mapToInt(RunFingerprint.ShardDigest::size).toArray();
            if (gradients) {
                DistributedTraining.requireAllGroups(shards, config.globalBatchSize(),
                        Arrays.stream(sizes).asLongStream().sum());
            }
            long perRound = DistributedTraining.imagesPerRound(sizes, config);
            if (perRound == 0) {
                throw new IllegalArgumentException("the training data has no rows (partitions: "
                        + Arrays.toString(sizes) + ")");
            }
            String emaWarning = Ema.roundWarning(config.emaHalfLifeImages(), perRound);
            if (emaWarning != null) {
                LOG.log(System.Logger.Level.WARNING, "DiffusionTrainer " + uid + ": " + emaWarning);
            }
            RoundPlan rounds = RoundPlan.of(getNumImages(), getNumRounds(), getShortRoundImages(),
                    DistributedTraining.imagesPerRound(sizes, config.shortRound()), perRound);
            long largestShard = (long) Arrays.stream(sizes).max().orElse(0) * spec.imageSize();
            var sc = dataset.sparkSession().sparkContext();
            ReductionPlan plan = Preflight.check(Reduction.parse(getReduction()), new ReductionPlan.FitSize(
                    objective.numParameters(), config.optimizer().stateSize(objective.numParameters()), sizes.length,
                    config.averageOptimizerState()), largestShard, sc.getConf(), Preflight.Environment.of(sc.master()));
            int planned = rounds.rounds();
            if (getShortRoundImages() > 0) {
                LOG.log(System.Logger.Level.INFO, "DiffusionTrainer " + uid + ": " + planned + " rounds planned, the "
                        + "first " + rounds.shortRounds() + " of them short (1 step, plainly averaged; shortRoundImages "
                        + getShortRoundImages() + "), the rest of " + config.localSteps() + " steps");
            }
            Checkpoints checkpoints = getCheckpointDir().isEmpty() ? null : new Checkpoints(getCheckpointDir(),
                    getCheckpointInterval(), dataset.sparkSession().sparkContext().hadoopConfiguration())
                    .forRun(RunFingerprint.of(digests, this), getForceResume());
            TrainingState state = checkpoints == null ? null
                    : checkpoints.latest(objective.numParameters(), config.averageOptimizerState());
            int stateSize = config.optimizer().stateSize(objective.numParameters());
            if (state != null && state.stateSize() != stateSize) {
                throw new IllegalArgumentException("DiffusionTrainer " + uid + ": the checkpoint "
                        + checkpoints.lastGood() + " holds an optimizer state of " + state.stateSize() + " floats, but "
                        + "optimizer " + getOptimizer() + (getOuterInterval() > 0 ? " with outerInterval "
                        + getOuterInterval() : "") + " keeps " + stateSize + ": resume with the optimizer and "
                        + "outerInterval the checkpoint was written with, or train afresh in another checkpointDir");
            }
            if (state == null) {
                state = TrainingState.initial(objective, config);
            } else if (state.round() >= planned) {
                LOG.log(System.Logger.Level.WARNING, "DiffusionTrainer " + uid + ": nothing to train, the checkpoint "
                        + checkpoints.lastGood() + " is already at round " + state.round() + " of the " + planned
                        + " planned; returning its model (raise numRounds or numImages to train further)");
            }
            state.matchOuterOptimizer(config.outerOptimizer());
            TrainingEvaluation evaluation = evaluates() ? new TrainingEvaluation(dataset.sparkSession(), uid,
                    getEvalInterval(), getEvalSamples(), (params, ema) -> modelOf(spec, params, ema, null),
                    evalSampling, evaluator, state, roundListener) : null;
            // The cosine spans the planned steps, which only the data and numImages fix.
            TrainingConfig runConfig = getLearningRateDecay().equalsIgnoreCase("cosine")
                    ? config.withCosineSteps(rounds.steps(config.localSteps())) : config;
            var result = DistributedTraining.run(shards, objective, runConfig, state, planned, rounds.shortRounds(),
                    evaluation != null ? evaluation : roundListener, checkpoints, divergencePolicy(), uid, plan);
            return modelOf(spec, result.state().params(), result.state().ema(), evaluation == null ? result.summary()
                    : result.summary().withEvaluations(evaluation.records()));
        } finally {
            shards.unpersist(false);
        }
    }

    /** A model of this trainer's Params around the given weights. */
    private DiffusionModel modelOf(UNetConfig spec, float[] params, float[] ema, TrainingSummary summary) {
        DiffusionModel model = new DiffusionModel(uid, spec, params, ema, summary);
        copyValues(model, ParamMap.empty());
        model.setParent(this);
        return model;
    }

    /** The evaluator of the evaluations, its feature network loaded and checked against the network (before training). */
    private DiffusionEvaluator evaluator(UNetConfig spec) {
        DiffusionEvaluator e = new DiffusionEvaluator();
        if (evalFeatureModel != null) {
            e.setFeatureModel(evalFeatureModel);
        } else {
            e.setFeatureModelPath(getFeatureModelPath());
        }
        FeatureNetworkModel features = e.featureModel();
        String where = evalFeatureModel != null ? "the evaluation's feature network" : "featureModelPath "
                + getFeatureModelPath();
        if (features.getImageSize() != spec.imgResolution() || features.getImageChannels() != spec.imgChannels()) {
            throw new IllegalArgumentException(where + " reads " + features.getImageChannels() + "x"
                    + features.getImageSize() + "x" + features.getImageSize() + " images, the model makes "
                    + spec.imgChannels() + "x" + spec.imgResolution() + "x" + spec.imgResolution()
                    + ": use a feature network trained on images like the training data");
        }
        if (getNumClasses() > features.getNumClasses()) {
            throw new IllegalArgumentException(where + " knows " + features.getNumClasses() + " classes, the model has "
                    + getNumClasses() + ": use a feature network trained on the same classes");
        }
        e.setPrecisionRecallSamples(Math.min(e.getPrecisionRecallSamples(), getEvalSamples()));
        return e;
    }

    @Override
    public DiffusionTrainer copy(ParamMap extra) {
        DiffusionTrainer c = (DiffusionTrainer) defaultCopy(extra);
        c.roundListener = roundListener;
        c.evalFeatureModel = evalFeatureModel;
        c.evalSampling = evalSampling;
        return c;
    }

    public static MLReader<DiffusionTrainer> read() {
        return new DefaultParamsReader<>();
    }

    public static DiffusionTrainer load(String path) {
        return read().load(path);
    }
}
