package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.metrics.BitsPerDim;
import io.sparkdiffusion.metrics.ClassTally;
import io.sparkdiffusion.metrics.FeatureMoments;
import io.sparkdiffusion.metrics.FrechetDistance;
import io.sparkdiffusion.metrics.PrecisionRecall;
import io.sparkdiffusion.metrics.QualityReport;
import io.sparkdiffusion.nn.unet.UNetConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.evaluation.Evaluator;
import org.apache.spark.ml.param.IntParam;
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
 * Scores generated images (a {@link DiffusionModel}'s output) against a {@link FeatureNetworkModel}'s reference, as
 * a Spark ML {@code Evaluator}, so that {@code CrossValidator} and {@code TrainValidationSplit} can choose training
 * or sampler settings by sample quality. {@code metricName}:
 * <ul>
 *   <li>{@code fid}: the Fréchet distance ({@link FrechetDistance}) between the feature moments of the images and
 *       of the reference; smaller is better;</li>
 *   <li>{@code precision}, {@code recall}: the k-NN manifold estimates ({@link PrecisionRecall}, k =
 *       {@code numNeighbors}) on equally many rows of both sets: the images with the smallest {@code keyCol}
 *       (their seeds) and the first reference rows; larger is better;</li>
 *   <li>{@code classAccuracy}: how often the feature classifier predicts the label each image was drawn for
 *       ({@code labelCol}); larger is better;</li>
 *   <li>{@code bpd}: unlike the others, a metric of <em>real</em> images ({@code inputCol}) under a diffusion model
 *       ({@code modelPath} or {@link #setModel}): their negative log-likelihood in bits per dimension
 *       ({@link #bitsPerDim}); smaller is better. It needs no feature network.</li>
 * </ul>
 * Features are computed in the partitions of the dataset, one image per network pass, and merged in double
 * (moments) by {@code treeAggregate}; {@link #report} gives all metrics from that one pass.
 *
 * <p>The numbers depend on the feature network and on the number of images (the FID of a finite sample is biased
 * upwards, more so for fewer images): compare them only within one feature network and one sample count.
 */
public final class DiffusionEvaluator extends Evaluator implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    /** The metric of real images under a diffusion model. */
    public static final String BPD = "bpd";
    /** Every metricName: {@link QualityReport#METRICS} and {@link #BPD}. */
    public static final String[] METRICS = {"fid", "precision", "recall", "classAccuracy", BPD};

    private final String uid;
    private final Param<String> metricName;
    private final Param<String> inputCol;
    private final Param<String> labelCol;
    private final Param<String> keyCol;
    private final Param<String> featureModelPath;
    private final IntParam numNeighbors;
    private final IntParam precisionRecallSamples;
    private final Param<String> modelPath;
    private final IntParam bpdSteps;
    private transient FeatureNetworkModel featureModel;
    private transient DiffusionModel model;

    public DiffusionEvaluator() {
        this(Identifiable$.MODULE$.randomUID("diffusionEvaluator"));
    }

    public DiffusionEvaluator(String uid) {
        this.uid = uid;
        metricName = new Param<>(this, "metricName", "fid (lower is better), precision, recall, classAccuracy (of "
                + "generated images), or bpd (of real images under the model at modelPath; lower is better)",
                Validators.oneOf(METRICS));
        inputCol = new Param<>(this, "inputCol", "the images to score, array<float> CHW in [-1, 1]: generated ones, "
                + "or for bpd real 8-bit ones");
        labelCol = new Param<>(this, "labelCol",
                "the class each image was drawn for (int); empty for unconditional samples (no classAccuracy)");
        keyCol = new Param<>(this, "keyCol",
                "integer column ordering the images (their seeds): precision and recall use the smallest keys; empty:"
                        + " a uniform sample of the images by hashed position");
        featureModelPath = new Param<>(this, "featureModelPath",
                "a saved FeatureNetworkModel (with reference statistics), unless set with setFeatureModel");
        numNeighbors = new IntParam(this, "numNeighbors", "k of the k-NN precision and recall (the paper's 3)",
                Validators.intAtLeast(1));
        precisionRecallSamples = new IntParam(this, "precisionRecallSamples",
                "most rows of each set used for precision and recall (cost grows with its square)",
                Validators.intAtLeast(2));
        modelPath = new Param<>(this, "modelPath",
                "for bpd: a saved DiffusionModel whose likelihood of the real images is measured, unless set with setModel");
        bpdSteps = new IntParam(this, "bpdSteps", "for bpd: Heun steps of the probability-flow ODE from the model's "
                + "sigmaMin to its sigmaMax (about 4 network passes per image each)", Validators.intAtLeast(1));
        setDefault(metricName, "fid");
        setDefault(modelPath, "");
        setDefault(bpdSteps, 100);
        setDefault(inputCol, "sample");
        setDefault(labelCol, "label");
        setDefault(keyCol, "seed");
        setDefault(featureModelPath, "");
        setDefault(numNeighbors, PrecisionRecall.DEFAULT_K);
        setDefault(precisionRecallSamples, 2000);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> metricName() { return metricName; }
    public Param<String> inputCol() { return inputCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> keyCol() { return keyCol; }
    public Param<String> featureModelPath() { return featureModelPath; }
    public IntParam numNeighbors() { return numNeighbors; }
    public IntParam precisionRecallSamples() { return precisionRecallSamples; }
    public Param<String> modelPath() { return modelPath; }
    public IntParam bpdSteps() { return bpdSteps; }

    public String getMetricName() { return $(metricName); }
    public String getInputCol() { return $(inputCol); }
    public String getLabelCol() { return $(labelCol); }
    public String getKeyCol() { return $(keyCol); }
    public String getFeatureModelPath() { return $(featureModelPath); }
    public int getNumNeighbors() { return (Integer) $(numNeighbors); }
    public int getPrecisionRecallSamples() { return (Integer) $(precisionRecallSamples); }
    public String getModelPath() { return $(modelPath); }
    public int getBpdSteps() { return (Integer) $(bpdSteps); }

    public DiffusionEvaluator setMetricName(String v) { set(metricName, v); return this; }
    public DiffusionEvaluator setInputCol(String v) { set(inputCol, v); return this; }
    public DiffusionEvaluator setLabelCol(String v) { set(labelCol, v); return this; }
    public DiffusionEvaluator setKeyCol(String v) { set(keyCol, v); return this; }
    public DiffusionEvaluator setFeatureModelPath(String v) { set(featureModelPath, v); return this; }
    public DiffusionEvaluator setNumNeighbors(int v) { set(numNeighbors, v); return this; }
    public DiffusionEvaluator setPrecisionRecallSamples(int v) { set(precisionRecallSamples, v); return this; }
    public DiffusionEvaluator setModelPath(String v) { set(modelPath, v); return this; }
    public DiffusionEvaluator setBpdSteps(int v) { set(bpdSteps, v); return this; }

    /** For bpd: uses {@code model} (in memory, not saved with the evaluator) instead of {@code modelPath}. */
    public DiffusionEvaluator setModel(DiffusionModel model) {
        this.model = model;
        return this;
    }

    /** For bpd: the model set in memory, else the one saved at modelPath (loaded once). */
    public DiffusionModel model() {
        if (model == null) {
            if (getModelPath().isEmpty()) {
                throw new IllegalStateException("DiffusionEvaluator " + uid + " has no diffusion model for bpd: set "
                        + "modelPath to a saved DiffusionModel, or call setModel");
            }
            model = DiffusionModel.load(getModelPath());
        }
        return model;
    }

    /** Uses {@code model} (in memory, not saved with the evaluator) instead of {@code featureModelPath}. */
    public DiffusionEvaluator setFeatureModel(FeatureNetworkModel model) {
        this.featureModel = model;
        return this;
    }

    /** The feature network: the one set in memory, else the one saved at featureModelPath (loaded once). */
    public FeatureNetworkModel featureModel() {
        if (featureModel == null) {
            if (getFeatureModelPath().isEmpty()) {
                throw new IllegalStateException("DiffusionEvaluator " + uid + " has no feature network: set"
                        + " featureModelPath to a saved FeatureNetworkModel, or call setFeatureModel");
            }
            featureModel = FeatureNetworkModel.load(getFeatureModelPath());
        }
        if (!featureModel.hasReference()) {
            throw new IllegalStateException("the feature network " + featureModel.uid() + " has no reference"
                    + " statistics to compare with: compute them with withReference(data, imageCol, maxRows)");
        }
        return featureModel;
    }

    @Override
    public boolean isLargerBetter() {
        return !getMetricName().equals(BPD) && QualityReport.isLargerBetter(getMetricName());
    }

    /** The metric of {@code dataset}: for bpd its real images' {@link #bitsPerDim}, else its samples' {@link #report}. */
    @Override
    public double evaluate(Dataset<?> dataset) {
        return getMetricName().equals(BPD) ? bitsPerDim(dataset).bpd() : report(dataset).metric(getMetricName());
    }

    /**
     * The negative log-likelihood of the real images in {@code dataset} ({@code inputCol}, 8-bit images as
     * {@link ImageTensorizer} makes them) under the EMA weights of {@link #model()}, in bits per dimension, with
     * score_sde's method: uniform dequantization, the probability-flow ODE ({@code bpdSteps} Heun steps from the
     * parameterization's sigmaMin to its sigmaMax, prior N(0, sigmaMax^2 I)) and the Skilling-Hutchinson trace
     * estimator with one Rademacher probe per image ({@link io.sparkdiffusion.diffusion.Likelihood}). Computed in
     * the dataset's partitions; each image is conditioned on its {@code labelCol} when the model is
     * class-conditional and the column is there (a null label: unconditional), else scored unconditionally. An
     * image's dequantization noise and probe come from its {@code keyCol} value when that column is there, else
     * from its partition and position.
     */
    public BitsPerDim bitsPerDim(Dataset<?> dataset) {
        StructType schema = dataset.schema();
        ImageColumns.requireTensorColumn(schema, getInputCol(), "inputCol");
        DiffusionModel m = model();
        UNetConfig spec = m.networkConfig();
        boolean conditional = m.getNumClasses() > 0 && !getLabelCol().isEmpty()
                && Arrays.asList(schema.fieldNames()).contains(getLabelCol());
        if (conditional) {
            NetworkParams.validateLabels(schema, getLabelCol(), m.getNumClasses());
        }
        boolean keyed = !getKeyCol().isEmpty() && Arrays.asList(schema.fieldNames()).contains(getKeyCol());
        if (keyed) {
            ImageColumns.requireIntColumn(schema, getKeyCol(), "keyCol");
        }
        Parameterization p = m.diffusionParameterization();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        Broadcast<float[]> weights = jsc.broadcast(m.emaWeights());
        try {
            LikelihoodScoring scoring = new LikelihoodScoring(spec, p, weights, schema.fieldIndex(getInputCol()),
                    getInputCol(), conditional ? schema.fieldIndex(getLabelCol()) : -1,
                    keyed ? schema.fieldIndex(getKeyCol()) : -1, getBpdSteps());
            BitsPerDim.Tally t = dataset.toDF().javaRDD().mapPartitions(scoring)
                    .treeAggregate(new BitsPerDim.Tally(), BitsPerDim.Tally::merge, BitsPerDim.Tally::merge);
            if (t.count() == 0) {
                throw new IllegalArgumentException("the dataset holds no images to score bpd on");
            }
            return new BitsPerDim(t.count(), t.mean(), t.standardError(), getBpdSteps(), p.sigmaMin(), p.sigmaMax(),
                    conditional);
        } finally {
            weights.destroy();
        }
    }

    /** All metrics from one pass over {@code dataset}. */
    public QualityReport report(Dataset<?> dataset) {
        StructType schema = dataset.schema();
        ImageColumns.requireTensorColumn(schema, getInputCol(), "inputCol");
        // Labels are tallied when the column is there; classAccuracy without them fails in QualityReport.metric.
        boolean hasLabels = !getLabelCol().isEmpty() && Arrays.asList(schema.fieldNames()).contains(getLabelCol());
        String label = hasLabels ? getLabelCol() : null;
        if (label != null) {
            ImageColumns.requireIntColumn(schema, label, "labelCol");
        }
        String key = getKeyCol().isEmpty() ? null : getKeyCol();
        if (key != null) {
            ImageColumns.requireIntColumn(schema, key, "keyCol");
        }
        FeatureNetworkModel model = featureModel();
        int k = getNumNeighbors();
        FeatureSummary s = model.summarize(dataset.toDF(), getInputCol(), label, key, getPrecisionRecallSamples());
        if (s.moments.count() < 2) {
            throw new IllegalArgumentException("the dataset holds " + s.moments.count() + " images; the Fréchet"
                    + " distance needs at least 2 (and a few hundred for a meaningful number)");
        }
        FeatureMoments reference = model.referenceMoments();
        double fid = FrechetDistance.between(reference, s.moments).value();
        int d = s.dimension();
        float[] refRows = model.referenceFeatures();
        int n = Math.min(s.keptCount(), refRows.length / d);
        if (n <= k) {
            throw new IllegalArgumentException("precision and recall need more than numNeighbors = " + k + " rows in"
                    + " each set; have " + s.keptCount() + " images and " + refRows.length / d + " reference rows");
        }
        PrecisionRecall.Result pr = PrecisionRecall.compute(Arrays.copyOf(refRows, n * d),
                Arrays.copyOf(s.keptRows(), n * d), d, k);
        ClassTally t = s.tally;
        return new QualityReport(s.moments.count(), fid, pr.precision(), pr.recall(), n,
                t == null ? Double.NaN : t.accuracy(), t == null ? null : t.perClass());
    }

    @Override
    public DiffusionEvaluator copy(ParamMap extra) {
        DiffusionEvaluator c = (DiffusionEvaluator) defaultCopy(extra);
        c.featureModel = featureModel;
        c.model = model;
        return c;
    }

    public static MLReader<DiffusionEvaluator> read() {
        return new DefaultParamsReader<>();
    }

    public static DiffusionEvaluator load(String path) {
        return read().load(path);
    }
}
