package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.classifier.FeatureCnnConfig;
import io.sparkdiffusion.train.ClassifierObjective;
import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.train.RoundListener;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Estimator;
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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;

/**
 * Trains the feature network of the quality metrics, a small CNN classifier ({@link FeatureCnnConfig}), on labelled
 * images, and returns a {@link FeatureNetworkModel} whose penultimate layer is the feature space; the model also
 * carries the reference moments and features of the training images (computed once here, saved with it).
 *
 * <p>Training is the diffusion trainer's parameter averaging ({@link DistributedTraining}): each partition runs
 * {@code localSteps} Adam steps of {@code batchSize} images on its shard of softmax cross-entropy, the driver
 * averages weights and optimizer state every round, for {@code numImages} images in all.
 *
 * <p>Unlabelled data has no classifier to train: the fit refuses it. Use a feature network trained on labelled
 * images of the same domain (see docs/quality-metrics.md for why a random network is no substitute).
 */
public final class FeatureNetwork extends Estimator<FeatureNetworkModel> implements HasFeatureParams, DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final FeatureParams net;
    private final Param<String> labelCol;
    private final IntParam batchSize;
    private final IntParam localSteps;
    private final LongParam numImages;
    private final DoubleParam learningRate;
    private final LongParam seed;
    private final IntParam numReferenceFeatures;
    private RoundListener roundListener;

    public FeatureNetwork() {
        this(Identifiable$.MODULE$.randomUID("featureNetwork"));
    }

    public FeatureNetwork(String uid) {
        this.uid = uid;
        net = new FeatureParams(this);
        labelCol = new Param<>(this, "labelCol", "integer class-label column in [0, numClasses); no nulls");
        batchSize = new IntParam(this, "batchSize", "images per Adam step on each partition", Validators.intAtLeast(1));
        localSteps = new IntParam(this, "localSteps", "steps each partition runs between two averagings",
                Validators.intAtLeast(1));
        numImages = new LongParam(this, "numImages", "images to train on in all (over all partitions)",
                Validators.longAtLeast(1));
        learningRate = new DoubleParam(this, "learningRate", "Adam learning rate, > 0", Validators.doubleAbove(0));
        seed = new LongParam(this, "seed", "seed of the initial weights and of the batches");
        numReferenceFeatures = new IntParam(this, "numReferenceFeatures",
                "feature rows of the training images kept with the model for precision and recall, > 3",
                Validators.intAtLeast(4));
        net.setDefaults(this);
        setDefault(labelCol, "label");
        setDefault(batchSize, 64);
        setDefault(localSteps, 10);
        setDefault(numImages, 45_000L);
        setDefault(learningRate, 2e-3);
        setDefault(seed, 1L);
        setDefault(numReferenceFeatures, 2000);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public FeatureParams featureParams() {
        return net;
    }

    public Param<String> labelCol() { return labelCol; }
    public IntParam batchSize() { return batchSize; }
    public IntParam localSteps() { return localSteps; }
    public LongParam numImages() { return numImages; }
    public DoubleParam learningRate() { return learningRate; }
    public LongParam seed() { return seed; }
    public IntParam numReferenceFeatures() { return numReferenceFeatures; }

    public String getLabelCol() { return $(labelCol); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public int getLocalSteps() { return (Integer) $(localSteps); }
    public long getNumImages() { return (Long) $(numImages); }
    public double getLearningRate() { return (Double) $(learningRate); }
    public long getSeed() { return (Long) $(seed); }
    public int getNumReferenceFeatures() { return (Integer) $(numReferenceFeatures); }

    public FeatureNetwork setInputCol(String v) { set(featureParams().inputCol, v); return this; }
    public FeatureNetwork setImageChannels(int v) { set(featureParams().imageChannels, v); return this; }
    public FeatureNetwork setImageSize(int v) { set(featureParams().imageSize, v); return this; }
    public FeatureNetwork setNumClasses(int v) { set(featureParams().numClasses, v); return this; }
    public FeatureNetwork setChannels(int v) { set(featureParams().channels, v); return this; }
    public FeatureNetwork setFeatureDim(int v) { set(featureParams().featureDim, v); return this; }
    public FeatureNetwork setLabelCol(String v) { set(labelCol, v); return this; }
    public FeatureNetwork setBatchSize(int v) { set(batchSize, v); return this; }
    public FeatureNetwork setLocalSteps(int v) { set(localSteps, v); return this; }
    public FeatureNetwork setNumImages(long v) { set(numImages, v); return this; }
    public FeatureNetwork setLearningRate(double v) { set(learningRate, v); return this; }
    public FeatureNetwork setSeed(long v) { set(seed, v); return this; }
    public FeatureNetwork setNumReferenceFeatures(int v) { set(numReferenceFeatures, v); return this; }

    /** Called on the driver after every round (not a Param: not saved, but kept by {@link #copy}). */
    public FeatureNetwork setRoundListener(RoundListener listener) {
        this.roundListener = listener;
        return this;
    }

    /** The network these settings describe, validated. */
    public FeatureCnnConfig featureCnnConfig() {
        return describedFeatureCnn();
    }

    /** The training settings: Adam (0.9, 0.999, 1e-8) at a constant rate, no clipping; the EMA is the weights. */
    public TrainingConfig trainingConfig() {
        return new TrainingConfig(getBatchSize(), getLocalSteps(), getLearningRate(), 0, 0,
                new Optimizer.Adam(0.9, 0.999, 1e-8), 0, 0, true, getSeed());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        ImageColumns.requireTensorColumn(schema, getInputCol(), "inputCol");
        if (getLabelCol().isEmpty()) {
            throw new IllegalArgumentException("labelCol is empty: the feature network is a classifier and trains on"
                    + " labelled images only; for unlabelled data use a feature network trained on labelled images of"
                    + " the same domain (docs/quality-metrics.md)");
        }
        ImageColumns.requireIntColumn(schema, getLabelCol(), "labelCol");
        featureCnnConfig();
        trainingConfig();
        return schema;
    }

    @Override
    public FeatureNetworkModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        FeatureCnnConfig config = featureCnnConfig();
        TrainingConfig training = trainingConfig();
        ClassifierObjective objective = new ClassifierObjective(config);
        JavaRDD<Shard> shards = DistributedTraining.shards(dataset.toDF(), getInputCol(), getLabelCol(),
                config.imageSize(), config.numClasses());
        try {
            int[] sizes = DistributedTraining.shardSizes(shards);
            long perRound = DistributedTraining.imagesPerRound(sizes, training);
            if (perRound == 0) {
                throw new IllegalArgumentException("the training data has no rows (partitions: "
                        + Arrays.toString(sizes) + ")");
            }
            int rounds = (int) Math.min(Integer.MAX_VALUE, (getNumImages() + perRound - 1) / perRound);
            var result = DistributedTraining.run(shards, objective, training, TrainingState.initial(objective, training),
                    rounds, roundListener, null);
            FeatureNetworkModel model = new FeatureNetworkModel(uid, config, result.state().params());
            copyValues(model, ParamMap.empty());
            model.setParent(this);
            return model.withReference(dataset.toDF(), getInputCol(), getNumReferenceFeatures());
        } finally {
            shards.unpersist(false);
        }
    }

    @Override
    public FeatureNetwork copy(ParamMap extra) {
        FeatureNetwork c = (FeatureNetwork) defaultCopy(extra);
        c.roundListener = roundListener;
        return c;
    }

    public static MLReader<FeatureNetwork> read() {
        return new DefaultParamsReader<>();
    }

    public static FeatureNetwork load(String path) {
        return read().load(path);
    }
}
