package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.diffusion.TimeGrid;
import io.sparkdiffusion.diffusion.sampling.OdeSchedule;
import io.sparkdiffusion.diffusion.sampling.Sampler;
import io.sparkdiffusion.diffusion.sampling.SamplerKind;
import io.sparkdiffusion.diffusion.sampling.SamplerSettings;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.train.TrainingSummary;
import io.sparkdiffusion.model.UNetDenoiser;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * A trained diffusion model that generates images: for each input row, one sample drawn from the row's seed
 * ({@code seedCol}) and, for a class-conditional model, its label ({@code labelCol}; null = unconditional).
 * Output: {@code outputCol}, {@code array<float>} CHW in [-1, 1], and, when {@code imageCol} is set, the same
 * image as a Spark image struct (8-bit, OpenCV channel order).
 *
 * <p>Sampling: the sampler {@code sampler} of the model's parameterization ({@link Sampler}) with the settings
 * below (0 means "the sampler's or parameterization's default" where the doc says so), the U-Net wrapped with its
 * preconditioning ({@link UNetDenoiser}) in inference mode, {@code sampleBatchSize} rows at a time per partition:
 * the sampler advances a batch together and the network evaluates the batch in one forward pass, with kernels
 * that give each row the same bits whatever else is in the batch. A sample depends only on its seed and label,
 * never on the partitioning or the batch it is drawn in.
 */
public final class DiffusionModel extends Model<DiffusionModel> implements MLWritable, HasNetworkParams {
    private static final long serialVersionUID = 1L;
    /**
     * Default {@code sampleBatchSize}: rows per forward pass of the sampler's network. Heun-35 on unet-small through
     * the bench's sampler path, one thread, on the 2-core development machine (2026-12-01, shared, so per CPU
     * second): batch 4: 3.34, 8: 3.38, 16: 3.57 and 3.40, 32: 3.60, 64: 3.41 images; 16 is on the plateau with
     * a quarter of 64's activations, and keeps a partition's last batch short.
     */
    public static final int DEFAULT_SAMPLE_BATCH_SIZE = 16;
    /**
     * The file under {@code data/} of a saved model that holds the final sample-quality evaluation of its training
     * run (when the run evaluated): one JSON object, {@code round}, {@code imagesSeen}, {@code evalSeconds} and the
     * metrics.
     */
    public static final String QUALITY_FILE = "quality.json";

    private final String uid;
    private final NetworkParams net;
    private final Param<String> seedCol;
    private final Param<String> outputCol;
    private final Param<String> imageCol;
    private final Param<String> sampler;
    private final IntParam numSteps;
    private final Param<String> timeGrid;
    private final DoubleParam sigmaMin;
    private final DoubleParam sigmaMax;
    private final DoubleParam rho;
    private final DoubleParam sChurn;
    private final DoubleParam sMin;
    private final DoubleParam sMax;
    private final DoubleParam sNoise;
    private final DoubleParam eta;
    private final DoubleParam snr;
    private final IntParam numCorrectorSteps;
    private final DoubleParam guidanceWeight;
    private final DoubleParam alpha;
    private final Param<String> odeSchedule;
    private final IntParam sampleBatchSize;
    private final BooleanParam useEma;

    private final UNetConfig spec;
    private final float[] weights;
    private final float[] emaWeights;
    private final transient TrainingSummary summary;
    private transient List<Broadcast<float[]>> broadcasts; // of the transforms so far, until destroyed

    /**
     * A model without weights, for Spark Connect's ML loader, which instantiates every stage listed in
     * {@code META-INF/services/org.apache.spark.ml.Transformer}; {@link #transform} refuses to run.
     */
    public DiffusionModel() {
        this(org.apache.spark.ml.util.Identifiable$.MODULE$.randomUID("diffusionModel"));
    }

    /** A model without weights (Spark's reflection needs this constructor); {@link #transform} refuses to run. */
    public DiffusionModel(String uid) {
        this(uid, null, null, null, null);
    }

    /**
     * @param weights    the trained weights, {@code [numParameters]}
     * @param emaWeights their exponential moving average, {@code [numParameters]}
     * @param summary    the training summary, or null (a loaded model has none)
     */
    public DiffusionModel(String uid, UNetConfig spec, float[] weights, float[] emaWeights, TrainingSummary summary) {
        this.uid = uid;
        this.spec = spec;
        this.weights = weights;
        this.emaWeights = emaWeights;
        this.summary = summary;
        net = new NetworkParams(this);
        seedCol = new Param<>(this, "seedCol", "integer column with each sample's seed");
        outputCol = new Param<>(this, "outputCol", "output: the generated image, array<float>, CHW in [-1, 1]");
        imageCol = new Param<>(this, "imageCol", "optional output: the generated image as a Spark image struct; empty for none");
        sampler = Validators.choice(this, "sampler", "sampler", Validators.ids(SamplerKind.values(), SamplerKind::id));
        numSteps = new IntParam(this, "numSteps", "noise levels before 0; 0: the sampler's default", Validators.intAtLeast(0));
        timeGrid = Validators.choice(this, "timeGrid", "time-step grid (default: the parameterization's)",
                Validators.ids(TimeGrid.values(), TimeGrid::id));
        sigmaMin = new DoubleParam(this, "sigmaMin", "smallest noise level of the grid; 0: the parameterization's",
                Validators.doubleAtLeast(0));
        sigmaMax = new DoubleParam(this, "sigmaMax", "largest noise level (sampling starts there); 0: the parameterization's",
                Validators.doubleAtLeast(0));
        rho = new DoubleParam(this, "rho", "exponent of the EDM grid; 0: the parameterization's", Validators.doubleAtLeast(0));
        sChurn = new DoubleParam(this, "sChurn", "stochasticity of edm-stochastic (Algorithm 2); 0: the sampler's default",
                Validators.doubleAtLeast(0));
        sMin = new DoubleParam(this, "sMin", "churn only for sigma >= sMin", Validators.doubleAtLeast(0));
        sMax = new DoubleParam(this, "sMax", "churn only for sigma <= sMax", Validators.of(v -> (Double) v >= 0));
        sNoise = new DoubleParam(this, "sNoise", "scale of the churn noise, > 0", Validators.doubleAbove(0));
        eta = new DoubleParam(this, "eta", "DDIM stochasticity in [0, 1]", Validators.doubleIn(0, 1));
        snr = new DoubleParam(this, "snr", "Langevin corrector signal-to-noise ratio (pc), > 0", Validators.doubleAbove(0));
        numCorrectorSteps = new IntParam(this, "numCorrectorSteps", "Langevin steps per level (pc), >= 1",
                Validators.intAtLeast(1));
        guidanceWeight = new DoubleParam(this, "guidanceWeight",
                "classifier-free guidance weight w >= 0; 1 is the plain conditional model", Validators.doubleAtLeast(0));
        alpha = new DoubleParam(this, "alpha", "heun and edm-stochastic: EDM's generalized 2nd-order step, the second "
                + "slope at t + alpha h, in (0, 1]; 1 is Heun's method", Validators.of(v -> (Double) v > 0 && (Double) v <= 1));
        odeSchedule = Validators.choice(this, "odeSchedule", "the ODE heun, euler and edm-stochastic integrate: "
                + "default (the parameterization's sigma(t), s(t)) or edm (sigma(t) = t, s(t) = 1)",
                Validators.ids(OdeSchedule.values(), OdeSchedule::id));
        sampleBatchSize = new IntParam(this, "sampleBatchSize", "samples drawn together in one batch per partition",
                Validators.intAtLeast(1));
        useEma = new BooleanParam(this, "useEma", "sample with the EMA of the weights (else the raw final weights)");

        net.setDefaults(this);
        setDefault(seedCol, "seed");
        setDefault(outputCol, "sample");
        setDefault(imageCol, "");
        setDefault(sampler, "heun");
        setDefault(numSteps, 0);
        setDefault(timeGrid, "default");
        setDefault(odeSchedule, "default");
        setDefault(sigmaMin, 0.0);
        setDefault(sigmaMax, 0.0);
        setDefault(rho, 0.0);
        setDefault(sChurn, 0.0);
        setDefault(sMin, 0.0);
        setDefault(sMax, Double.POSITIVE_INFINITY);
        setDefault(sNoise, 1.0);
        setDefault(eta, 0.0);
        setDefault(snr, 0.16);
        setDefault(numCorrectorSteps, 1);
        setDefault(guidanceWeight, 1.0);
        setDefault(alpha, 1.0);
        setDefault(sampleBatchSize, DEFAULT_SAMPLE_BATCH_SIZE);
        setDefault(useEma, true);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override public NetworkParams networkParams() { return net; }

    public Param<String> seedCol() { return seedCol; }
    public Param<String> outputCol() { return outputCol; }
    public Param<String> imageCol() { return imageCol; }
    public Param<String> sampler() { return sampler; }
    public IntParam numSteps() { return numSteps; }
    public Param<String> timeGrid() { return timeGrid; }
    public Param<String> odeSchedule() { return odeSchedule; }
    public DoubleParam sigmaMin() { return sigmaMin; }
    public DoubleParam sigmaMax() { return sigmaMax; }
    public DoubleParam rho() { return rho; }
    public DoubleParam sChurn() { return sChurn; }
    public DoubleParam sMin() { return sMin; }
    public DoubleParam sMax() { return sMax; }
    public DoubleParam sNoise() { return sNoise; }
    public DoubleParam eta() { return eta; }
    public DoubleParam snr() { return snr; }
    public IntParam numCorrectorSteps() { return numCorrectorSteps; }
    public DoubleParam guidanceWeight() { return guidanceWeight; }
    public DoubleParam alpha() { return alpha; }
    public IntParam sampleBatchSize() { return sampleBatchSize; }
    public BooleanParam useEma() { return useEma; }

    public String getSeedCol() { return $(seedCol); }
    public String getOutputCol() { return $(outputCol); }
    public String getImageCol() { return $(imageCol); }
    public String getSampler() { return $(sampler); }
    public int getNumSteps() { return (Integer) $(numSteps); }
    public String getTimeGrid() { return $(timeGrid); }
    public String getOdeSchedule() { return $(odeSchedule); }
    public double getSigmaMin() { return (Double) $(sigmaMin); }
    public double getSigmaMax() { return (Double) $(sigmaMax); }
    public double getRho() { return (Double) $(rho); }
    public double getSChurn() { return (Double) $(sChurn); }
    public double getSMin() { return (Double) $(sMin); }
    public double getSMax() { return (Double) $(sMax); }
    public double getSNoise() { return (Double) $(sNoise); }
    public double getEta() { return (Double) $(eta); }
    public double getSnr() { return (Double) $(snr); }
    public int getNumCorrectorSteps() { return (Integer) $(numCorrectorSteps); }
    public double getGuidanceWeight() { return (Double) $(guidanceWeight); }
    public double getAlpha() { return (Double) $(alpha); }
    public int getSampleBatchSize() { return (Integer) $(sampleBatchSize); }
    public boolean getUseEma() { return (Boolean) $(useEma); }

    public DiffusionModel setLabelCol(String v) { set(net.labelCol, v); return this; }
    public DiffusionModel setSeedCol(String v) { set(seedCol, v); return this; }
    public DiffusionModel setOutputCol(String v) { set(outputCol, v); return this; }
    public DiffusionModel setImageCol(String v) { set(imageCol, v); return this; }
    public DiffusionModel setSampler(String v) { set(sampler, v); return this; }
    public DiffusionModel setNumSteps(int v) { set(numSteps, v); return this; }
    public DiffusionModel setTimeGrid(String v) { set(timeGrid, v); return this; }
    public DiffusionModel setOdeSchedule(String v) { set(odeSchedule, v); return this; }
    public DiffusionModel setSigmaMin(double v) { set(sigmaMin, v); return this; }
    public DiffusionModel setSigmaMax(double v) { set(sigmaMax, v); return this; }
    public DiffusionModel setRho(double v) { set(rho, v); return this; }
    public DiffusionModel setSChurn(double v) { set(sChurn, v); return this; }
    public DiffusionModel setSMin(double v) { set(sMin, v); return this; }
    public DiffusionModel setSMax(double v) { set(sMax, v); return this; }
    public DiffusionModel setSNoise(double v) { set(sNoise, v); return this; }
    public DiffusionModel setEta(double v) { set(eta, v); return this; }
    public DiffusionModel setSnr(double v) { set(snr, v); return this; }
    public DiffusionModel setNumCorrectorSteps(int v) { set(numCorrectorSteps, v); return this; }
    public DiffusionModel setGuidanceWeight(double v) { set(guidanceWeight, v); return this; }
    public DiffusionModel setAlpha(double v) { set(alpha, v); return this; }
    public DiffusionModel setSampleBatchSize(int v) { set(sampleBatchSize, v); return this; }
    public DiffusionModel setUseEma(boolean v) { set(useEma, v); return this; }

    /**
     * Sets on this model every Param that {@code settings} sets explicitly, except the network's (those belong to
     * the weights): how a config's sampler settings reach a trained model.
     */
    @SuppressWarnings("unchecked")
    public DiffusionModel copySamplingParams(DiffusionModel settings) {
        for (Param<?> p : settings.params()) {
            if (settings.isSet(p) && !settings.isNetworkParam(p)) {
                set((Param<Object>) getParam(p.name()), settings.getOrDefault(p));
            }
        }
        return this;
    }

    /** The network the weights belong to (as saved with them; the network Params describe the same one). */
    @Override
    public UNetConfig networkConfig() {
        requireWeights();
        return spec;
    }

    /** A copy of the raw final weights. */
    public float[] weights() {
        requireWeights();
        return weights.clone();
    }

    /** A copy of the EMA weights. */
    public float[] emaWeights() {
        requireWeights();
        return emaWeights.clone();
    }

    public boolean hasSummary() {
        return summary != null;
    }

    /** The training summary: loss per round, throughput and the time split. Only on a freshly fitted model. */
    public TrainingSummary summary() {
        if (summary == null) {
            throw new IllegalStateException("this DiffusionModel has no training summary (summaries are not saved; "
                    + "only a model returned by DiffusionTrainer.fit has one)");
        }
        return summary;
    }

    private void requireWeights() {
        if (weights == null) {
            throw new IllegalStateException("DiffusionModel " + uid + " has no weights: create it with "
                    + "DiffusionTrainer.fit or DiffusionModel.load");
        }
    }

    /** The sampler settings the Params describe, validated. */
    public SamplerSettings samplerSettings() {
        Parameterization p = diffusionParameterization();
        SamplerSettings s = SamplerSettings.defaults(SamplerKind.parse(getSampler()), p);
        if (getNumSteps() > 0) {
            s = s.withNumSteps(getNumSteps());
        }
        s = s.withTimeGrid(TimeGrid.parse(getTimeGrid()));
        s = s.withSigmaRange(getSigmaMin() > 0 ? getSigmaMin() : s.sigmaMin(), getSigmaMax() > 0 ? getSigmaMax() : s.sigmaMax());
        if (getRho() > 0) {
            s = s.withRho(getRho());
        }
        s = s.withChurn(getSChurn() > 0 ? getSChurn() : s.sChurn(), getSMin(), getSMax(), getSNoise());
        return s.withEta(getEta()).withCorrector(getSnr(), getNumCorrectorSteps()).withGuidanceWeight(getGuidanceWeight())
                .withAlpha(getAlpha()).withOdeSchedule(OdeSchedule.parse(getOdeSchedule()));
    }

    static StructType outputSchema(StructType schema, String outputCol, String imageCol) {
        ImageColumns.requireAbsent(schema, outputCol, "outputCol");
        StructType out = schema.add(outputCol, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        if (!imageCol.isEmpty()) {
            ImageColumns.requireAbsent(schema, imageCol, "imageCol");
            out = out.add(imageCol, ImageSchema.columnSchema(), false);
        }
        return out;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        ImageColumns.requireIntColumn(schema, getSeedCol(), "seedCol");
        NetworkParams.validateLabels(schema, getLabelCol(), getNumClasses());
        samplerSettings();
        return outputSchema(schema, getOutputCol(), getImageCol());
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        requireWeights();
        StructType outSchema = transformSchema(dataset.schema());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        Broadcast<float[]> bc = jsc.broadcast(getUseEma() ? emaWeights : weights);
        synchronized (this) {
            if (broadcasts == null) {
                broadcasts = new ArrayList<>();
            }
            broadcasts.add(bc);
        }
        StructType in = dataset.schema();
        SampleGeneration g = new SampleGeneration(spec, diffusionParameterization(), samplerSettings(), bc,
                in.fieldIndex(getSeedCol()), getLabelCol().isEmpty() ? -1 : in.fieldIndex(getLabelCol()),
                getNumClasses(), getSampleBatchSize(), !getImageCol().isEmpty());
        return dataset.toDF().mapPartitions(g, Encoders.row(outSchema));
    }

    /**
     * Destroys the weight broadcasts of this model's transforms so far, on the driver and the executors: call it
     * when the jobs that read those transforms' output are done (their Datasets can no longer be computed; a new
     * transform broadcasts again). Without it a broadcast lives until Spark's ContextCleaner removes it once its
     * Dataset is garbage collected on the driver.
     *
     * @return the number of broadcasts destroyed
     */
    public synchronized int destroyWeightBroadcasts() {
        if (broadcasts == null) {
            return 0;
        }
        int n = broadcasts.size();
        for (Broadcast<float[]> bc : broadcasts) {
            bc.destroy();
        }
        broadcasts.clear();
        return n;
    }

    @Override
    public DiffusionModel copy(ParamMap extra) {
        DiffusionModel c = new DiffusionModel(uid, spec, weights, emaWeights, summary);
        copyValues(c, extra);
        return c.setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new ModelPersistence.Writer(this);
    }

    public static MLReader<DiffusionModel> read() {
        return new ModelPersistence.Reader();
    }

    public static DiffusionModel load(String path) {
        return read().load(path);
    }
}
