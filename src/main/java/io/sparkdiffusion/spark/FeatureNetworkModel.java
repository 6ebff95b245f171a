package io.sparkdiffusion.spark;

import io.sparkdiffusion.metrics.ClassTally;
import io.sparkdiffusion.metrics.FeatureMoments;
import io.sparkdiffusion.nn.classifier.FeatureCnnConfig;
import io.sparkdiffusion.nn.classifier.FeatureExtractor;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A trained feature network ({@link FeatureNetwork}): for each image of {@code inputCol}, its feature vector
 * ({@code featuresCol}, {@code array<float>} of {@code featureDim}) and predicted class ({@code predictionCol}).
 * It carries the reference statistics of the images it was fitted on: their feature moments (double) and the
 * feature rows of up to {@code numReferenceFeatures} of them, which {@link DiffusionEvaluator} compares samples with.
 * Saved as Spark's {@code metadata/} plus {@code data/} (weights, reference features, network.properties, and the
 * reference moments as Parquet).
 */
public final class FeatureNetworkModel extends Model<FeatureNetworkModel> implements HasFeatureParams, MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final FeatureParams net;
    private final Param<String> featuresCol;
    private final Param<String> predictionCol;

    private final FeatureCnnConfig config;
    private final float[] weights;
    private FeatureMoments reference;
    private float[] referenceFeatures;

    /** A model without weights (Spark's reflection needs this constructor); {@link #transform} refuses to run. */
    public FeatureNetworkModel(String uid) {
        this(uid, null, null);
    }

    /** @param weights the trained weights, {@code [numParameters]} */
    public FeatureNetworkModel(String uid, FeatureCnnConfig config, float[] weights) {
        this.uid = uid;
        this.config = config;
        this.weights = weights;
        net = new FeatureParams(this);
        featuresCol = new Param<>(this, "featuresCol", "output: the feature vector, array<float> of featureDim");
        predictionCol = new Param<>(this, "predictionCol", "output: the predicted class, int");
        net.setDefaults(this);
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public FeatureParams featureParams() {
        return net;
    }

    public Param<String> featuresCol() { return featuresCol; }
    public Param<String> predictionCol() { return predictionCol; }

    public String getFeaturesCol() { return $(featuresCol); }
    public String getPredictionCol() { return $(predictionCol); }

    public FeatureNetworkModel setInputCol(String v) { set(featureParams().inputCol, v); return this; }
    public FeatureNetworkModel setFeaturesCol(String v) { set(featuresCol, v); return this; }
    public FeatureNetworkModel setPredictionCol(String v) { set(predictionCol, v); return this; }

    /** The network the weights belong to. */
    public FeatureCnnConfig featureCnnConfig() {
        requireWeights();
        return config;
    }

    /** A copy of the weights. */
    public float[] weights() {
        requireWeights();
        return weights.clone();
    }

    public boolean hasReference() {
        return reference != null;
    }

    /** The feature moments of the reference images (those the network was fitted on, or set by withReference). */
    public FeatureMoments referenceMoments() {
        requireReference();
        return FeatureMoments.of(reference.count(), reference.mean(), reference.comoment());
    }

    /** Feature rows of up to numReferenceFeatures reference images, {@code [n, featureDim]}. */
    public float[] referenceFeatures() {
        requireReference();
        return referenceFeatures.clone();
    }

    /**
     * Replaces the reference by the features of {@code imageCol} of {@code data}: its moments, and the rows of
     * the first {@code maxRows} images by position; returns this.
     */
    public FeatureNetworkModel withReference(Dataset<Row> data, String imageCol, int maxRows) {
        FeatureSummary s = summarize(data, imageCol, null, null, maxRows);
        return setReference(s.moments, s.keptRows());
    }

    FeatureNetworkModel setReference(FeatureMoments moments, float[] features) {
        int d = config.featureDim();
        if (moments.dimension() != d || features.length % d != 0) {
            throw new IllegalArgumentException("reference: expected moments and rows of dimension " + d + ", got "
                    + moments.dimension() + " and " + features.length + " floats");
        }
        this.reference = moments;
        this.referenceFeatures = features.clone();
        return this;
    }

    /**
     * How often the classifier predicts {@code labelCol} for the images of {@code imageCol}: its test accuracy on
     * held-out data, or the class accuracy of class-conditional samples.
     */
    public ClassTally accuracy(Dataset<Row> data, String imageCol, String labelCol) {
        ImageColumns.requireIntColumn(data.schema(), labelCol, "labelCol");
        return summarize(data, imageCol, labelCol, null, 1).tally;
    }

    /** One pass over {@code data} (see {@link FeatureSummary}); the weights travel in a broadcast destroyed after. */
    FeatureSummary summarize(Dataset<Row> data, String imageCol, String labelCol, String keyCol, int maxRows) {
        requireWeights();
        ImageColumns.requireTensorColumn(data.schema(), imageCol, "inputCol");
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
        Broadcast<float[]> bc = jsc.broadcast(weights);
        try {
            return FeatureSummary.compute(data, imageCol, labelCol, keyCol, bc, config, maxRows);
        } finally {
            bc.destroy();
        }
    }

    @Override
    public StructType transformSchema(StructType schema) {
        ImageColumns.requireTensorColumn(schema, getInputCol(), "inputCol");
        ImageColumns.requireAbsent(schema, getFeaturesCol(), "featuresCol");
        ImageColumns.requireAbsent(schema, getPredictionCol(), "predictionCol");
        return schema.add(getFeaturesCol(), DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add(getPredictionCol(), DataTypes.IntegerType, false);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        requireWeights();
        StructType out = transformSchema(dataset.schema());
        Broadcast<float[]> bc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext())
                .broadcast(weights);
        int field = dataset.schema().fieldIndex(getInputCol());
        String col = getInputCol();
        FeatureCnnConfig c = config;
        return dataset.toDF().mapPartitions((Iterator<Row> rows) -> {
            FeatureExtractor extractor = new FeatureExtractor(c, bc.value());
            float[] image = new float[c.imageSize()];
            List<Row> result = new ArrayList<>();
            while (rows.hasNext()) {
                Row r = rows.next();
                if (!ImageColumns.readTensor(r, field, image, 0, image.length, col)) {
                    throw new IllegalArgumentException("image column '" + col + "' holds a null image");
                }
                float[] f = new float[c.featureDim()];
                int predicted = extractor.extract(image, 0, f, 0);
                Object[] values = new Object[r.length() + 2];
                for (int k = 0; k < r.length(); k++) {
                    values[k] = r.get(k);
                }
                values[r.length()] = scala.collection.immutable.ArraySeq.unsafeWrapArray(f);
                values[r.length() + 1] = predicted;
                result.add(RowFactory.create(values));
            }
            return result.iterator();
        }, Encoders.row(out));
    }

    @Override
    public FeatureNetworkModel copy(ParamMap extra) {
        FeatureNetworkModel c = new FeatureNetworkModel(uid, config, weights);
        c.reference = reference;
        c.referenceFeatures = referenceFeatures;
        copyValues(c, extra);
        return c.setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new FeatureModelPersistence.Writer(this);
    }

    public static MLReader<FeatureNetworkModel> read() {
        return new FeatureModelPersistence.Reader();
    }

    public static FeatureNetworkModel load(String path) {
        return read().load(path);
    }

    private void requireWeights() {
        if (weights == null) {
            throw new IllegalStateException("FeatureNetworkModel " + uid + " has no weights: create it with "
                    + "FeatureNetwork.fit or FeatureNetworkModel.load");
        }
    }

    private void requireReference() {
        requireWeights();
        if (reference == null) {
            throw new IllegalStateException("FeatureNetworkModel " + uid + " has no reference statistics: compute them"
                    + " with withReference(data, imageCol, maxRows)");
        }
    }
}
