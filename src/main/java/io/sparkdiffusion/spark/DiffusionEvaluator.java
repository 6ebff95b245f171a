package io.sparkdiffusion.spark;

import io.sparkdiffusion.metrics.ClassTally;
import io.sparkdiffusion.metrics.FeatureMoments;
import io.sparkdiffusion.metrics.FrechetDistance;
import io.sparkdiffusion.metrics.PrecisionRecall;
import io.sparkdiffusion.metrics.QualityReport;
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
 *       ({@code labelCol}); larger is better.</li>
 * </ul>
 * Features are computed in the partitions of the dataset, one image per network pass, and merged in double
 * (moments) by {@code treeAggregate}; {@link #report} gives all metrics from that one pass.
 *
 * <p>The numbers depend on the feature network and on the number of images (the FID of a finite sample is biased
 * upwards, more so for fewer images): compare them only within one feature network and one sample count.
 */
public final class DiffusionEvaluator extends Evaluator implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> metricName;
    private final Param<String> inputCol;
    private final Param<String> labelCol;
    private final Param<String> keyCol;
    private final Param<String> featureModelPath;
    private final IntParam numNeighbors;
    private final IntParam precisionRecallSamples;
    private transient FeatureNetworkModel featureModel;

    public DiffusionEvaluator() {
        this(Identifiable$.MODULE$.randomUID("diffusionEvaluator"));
    }

    public DiffusionEvaluator(String uid) {
        this.uid = uid;
        metricName = new Param<>(this, "metricName", "fid (lower is better), precision, recall or classAccuracy",
                Validators.oneOf(QualityReport.METRICS));
        inputCol = new Param<>(this, "inputCol", "the generated images: array<float> CHW in [-1, 1]");
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
        setDefault(metricName, "fid");
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

    public String getMetricName() { return $(metricName); }
    public String getInputCol() { return $(inputCol); }
    public String getLabelCol() { return $(labelCol); }
    public String getKeyCol() { return $(keyCol); }
    public String getFeatureModelPath() { return $(featureModelPath); }
    public int getNumNeighbors() { return (Integer) $(numNeighbors); }
    public int getPrecisionRecallSamples() { return (Integer) $(precisionRecallSamples); }

    public DiffusionEvaluator setMetricName(String v) { set(metricName, v); return this; }
    public DiffusionEvaluator setInputCol(String v) { set(inputCol, v); return this; }
    public DiffusionEvaluator setLabelCol(String v) { set(labelCol, v); return this; }
    public DiffusionEvaluator setKeyCol(String v) { set(keyCol, v); return this; }
    public DiffusionEvaluator setFeatureModelPath(String v) { set(featureModelPath, v); return this; }
    public DiffusionEvaluator setNumNeighbors(int v) { set(numNeighbors, v); return this; }
    public DiffusionEvaluator setPrecisionRecallSamples(int v) { set(precisionRecallSamples, v); return this; }

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
        return QualityReport.isLargerBetter(getMetricName());
    }

    @Override
    public double evaluate(Dataset<?> dataset) {
        return report(dataset).metric(getMetricName());
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
        return c;
    }

    public static MLReader<DiffusionEvaluator> read() {
        return new DefaultParamsReader<>();
    }

    public static DiffusionEvaluator load(String path) {
        return read().load(path);
    }
}
