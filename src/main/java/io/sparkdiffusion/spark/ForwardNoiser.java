package io.sparkdiffusion.spark;

import io.sparkdiffusion.diffusion.ForwardNoising;
import io.sparkdiffusion.diffusion.Parameterization;
import io.sparkdiffusion.train.Seeds;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * The forward process of a parameterization as a column transform: for each clean image {@code y}
 * ({@code inputCol}, CHW in [-1, 1]) writes {@code x_t = s(t) (y + sigma(t) n)} ({@code noisyCol}), the time
 * {@code t} ({@code timeOutputCol}), {@code sigma(t)} ({@code sigmaCol}), the unit noise {@code n}
 * ({@code noiseCol}) and the raw network's regression target {@code (y - cSkip (y + sigma n)) / cOut}
 * ({@code targetCol}); see {@link ForwardNoising}.
 *
 * <p>The parameterization is the record {@link #diffusionParameterization()} builds from the Params of
 * {@link HasParameterizationParams} (its kind and every field), shipped to the executors as it is.
 *
 * <p>The time comes from {@code timeCol} when set, otherwise {@code sigma} is drawn from the parameterization's
 * training distribution. Each row's draws come from its own seed: the value of {@code seedCol} when set,
 * otherwise {@code mix(seed, hash of the image values)} (so identical images get identical noise). Either way
 * a rerun, or another partitioning, gives the same rows.
 */
public final class ForwardNoiser extends Transformer implements DefaultParamsWritable,
        SetsParameterizationParams<ForwardNoiser> {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> inputCol;
    private final ParameterizationParams diffusion;
    private final Param<String> timeCol;
    private final Param<String> seedCol;
    private final LongParam seed;
    private final Param<String> noisyCol;
    private final Param<String> timeOutputCol;
    private final Param<String> sigmaCol;
    private final Param<String> noiseCol;
    private final Param<String> targetCol;

    public ForwardNoiser() {
        this(Identifiable$.MODULE$.randomUID("forwardNoiser"));
    }

    public ForwardNoiser(String uid) {
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "clean images: array<float>/array<double>/Vector, CHW in [-1, 1]");
        diffusion = new ParameterizationParams(this);
        timeCol = new Param<>(this, "timeCol",
                "numeric column with the time t of each row; empty: draw sigma from the training distribution");
        seedCol = new Param<>(this, "seedCol",
                "integer column with each row's seed; empty: derive it from seed and the image values");
        seed = new LongParam(this, "seed", "seed mixed with each image's hash when seedCol is empty");
        noisyCol = new Param<>(this, "noisyCol", "output: the noisy image x_t = s(t) (y + sigma n)");
        timeOutputCol = new Param<>(this, "timeOutputCol", "output: the time t");
        sigmaCol = new Param<>(this, "sigmaCol", "output: the noise level sigma(t)");
        noiseCol = new Param<>(this, "noiseCol", "output: the unit Gaussian noise n");
        targetCol = new Param<>(this, "targetCol", "output: the network's regression target (y - cSkip (y + sigma n)) / cOut");
        setDefault(inputCol, "tensor");
        diffusion.setDefaults(this);
        setDefault(timeCol, "");
        setDefault(seedCol, "");
        setDefault(seed, 0L);
        setDefault(noisyCol, "noisy");
        setDefault(timeOutputCol, "t");
        setDefault(sigmaCol, "sigma");
        setDefault(noiseCol, "noise");
        setDefault(targetCol, "target");
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public ParameterizationParams parameterizationParams() { return diffusion; }

    public Param<String> inputCol() { return inputCol; }
    public Param<String> timeCol() { return timeCol; }
    public Param<String> seedCol() { return seedCol; }
    public LongParam seed() { return seed; }
    public Param<String> noisyCol() { return noisyCol; }
    public Param<String> timeOutputCol() { return timeOutputCol; }
    public Param<String> sigmaCol() { return sigmaCol; }
    public Param<String> noiseCol() { return noiseCol; }
    public Param<String> targetCol() { return targetCol; }

    public String getInputCol() { return $(inputCol); }
    public String getTimeCol() { return $(timeCol); }
    public String getSeedCol() { return $(seedCol); }
    public long getSeed() { return (Long) $(seed); }
    public String getNoisyCol() { return $(noisyCol); }
    public String getTimeOutputCol() { return $(timeOutputCol); }
    public String getSigmaCol() { return $(sigmaCol); }
    public String getNoiseCol() { return $(noiseCol); }
    public String getTargetCol() { return $(targetCol); }

    public ForwardNoiser setInputCol(String v) { set(inputCol, v); return this; }
    public ForwardNoiser setTimeCol(String v) { set(timeCol, v); return this; }
    public ForwardNoiser setSeedCol(String v) { set(seedCol, v); return this; }
    public ForwardNoiser setSeed(long v) { set(seed, v); return this; }
    public ForwardNoiser setNoisyCol(String v) { set(noisyCol, v); return this; }
    public ForwardNoiser setTimeOutputCol(String v) { set(timeOutputCol, v); return this; }
    public ForwardNoiser setSigmaCol(String v) { set(sigmaCol, v); return this; }
    public ForwardNoiser setNoiseCol(String v) { set(noiseCol, v); return this; }
    public ForwardNoiser setTargetCol(String v) { set(targetCol, v); return this; }

    private List<String> outputCols() {
        return List.of(getNoisyCol(), getTimeOutputCol(), getSigmaCol(), getNoiseCol(), getTargetCol());
    }

    private StructType outputStruct() {
        DataType floats = DataTypes.createArrayType(DataTypes.FloatType, false);
        return new StructType()
                .add(getNoisyCol(), floats, false)
                .add(getTimeOutputCol(), DataTypes.DoubleType, false)
                .add(getSigmaCol(), DataTypes.DoubleType, false)
                .add(getNoiseCol(), floats, false)
                .add(getTargetCol(), floats, false);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        diffusionParameterization(); // the record checks its fields together (e.g. veSigmaMin < veSigmaMax)
        ImageColumns.requireTensorColumn(schema, getInputCol(), "inputCol");
        if (!getSeedCol().isEmpty()) {
            ImageColumns.requireIntColumn(schema, getSeedCol(), "seedCol");
        }
        if (!getTimeCol().isEmpty()) {
            ImageColumns.requireColumn(schema, getTimeCol(), "timeCol");
            DataType t = schema.apply(getTimeCol()).dataType();
            if (!(t instanceof NumericType)) {
                throw new IllegalArgumentException("timeCol '" + getTimeCol() + "' must be numeric, got " + t.simpleString());
            }
        }
        List<String> outs = outputCols();
        if (outs.stream().distinct().count() != outs.size()) {
            throw new IllegalArgumentException("the output columns must have distinct names, got " + outs);
        }
        StructType out = schema;
        for (var f : outputStruct().fields()) {
            ImageColumns.requireAbsent(schema, f.name(), "output column");
            out = out.add(f.name(), f.dataType(), true);
        }
        return out;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        List<Column> in = new ArrayList<>();
        in.add(functions.col(getInputCol()));
        in.add(getTimeCol().isEmpty() ? functions.lit(null).cast("double") : functions.col(getTimeCol()).cast("double"));
        in.add(getSeedCol().isEmpty() ? functions.lit(null).cast("long") : functions.col(getSeedCol()).cast("long"));
        Noiser noiser = new Noiser(diffusionParameterization(), getSeed(), getInputCol());
        String tmp = "__forwardNoiser_" + uid;
        Dataset<Row> withStruct = dataset.withColumn(tmp,
                functions.udf(noiser, outputStruct()).apply(functions.struct(in.toArray(new Column[0]))));
        for (String name : outputCols()) {
            withStruct = withStruct.withColumn(name, functions.col(tmp).getField(name));
        }
        return withStruct.drop(tmp);
    }

    /** The per-row forward process; plain (Serializable) values only, so it ships without the stage. */
    private static final class Noiser implements UDF1<Row, Row> {
        private final Parameterization param;
        private final long seed;
        private final String col;

        Noiser(Parameterization param, long seed, String col) {
            this.param = param;
            this.seed = seed;
            this.col = col;
        }

        @Override
        public Row call(Row r) {
            if (r.isNullAt(0)) {
                throw new IllegalArgumentException("ForwardNoiser: column '" + col + "' holds a null image");
            }
            float[] y = toFloats(r.get(0));
            long rowSeed = r.isNullAt(2) ? Seeds.derive(seed, hash(y)) : r.getLong(2);
            ForwardNoising.Noised z = r.isNullAt(1)
                    ? ForwardNoising.atTrainingLevel(param, y, rowSeed)
                    : ForwardNoising.atTime(param, y, r.getDouble(1), rowSeed);
            return RowFactory.create(z.xt(), z.t(), z.sigma(), z.noise(), z.target());
        }

        private static float[] toFloats(Object v) {
            if (v instanceof org.apache.spark.ml.linalg.Vector vec) {
                float[] out = new float[vec.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) vec.apply(i);
                }
                return out;
            }
            scala.collection.Seq<?> s = (scala.collection.Seq<?>) v;
            float[] out = new float[s.length()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ((Number) s.apply(i)).floatValue();
            }
            return out;
        }

        /** A 64-bit hash of the values' bit patterns (SplitMix64 chain). */
        private static long hash(float[] y) {
            long h = y.length;
            for (float v : y) {
                h = Seeds.mix64(h ^ Float.floatToIntBits(v));
            }
            return h;
        }
    }

    @Override
    public ForwardNoiser copy(ParamMap extra) {
        return (ForwardNoiser) defaultCopy(extra);
    }

    public static MLReader<ForwardNoiser> read() {
        return new DefaultParamsReader<>();
    }

    public static ForwardNoiser load(String path) {
        return read().load(path);
    }
}
