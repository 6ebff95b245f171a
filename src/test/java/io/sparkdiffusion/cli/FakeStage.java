package io.sparkdiffusion.cli;

import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/** A stage with one Param of each kind a config can set; never transforms anything (no Spark runtime). */
public final class FakeStage extends Transformer {
    private final String uid;
    final IntParam numRounds;
    final DoubleParam learningRate;
    final LongParam seed;
    final BooleanParam averageOptimizerState;
    final Param<String> sampler;
    final Param<String> labelCol;
    final IntArrayParam channelMult;

    FakeStage(String uid) {
        this.uid = uid;
        numRounds = new IntParam(this, "numRounds", "rounds of training (>= 1)", ParamValidators.gtEq(1));
        learningRate = new DoubleParam(this, "learningRate", "peak learning rate (> 0)", ParamValidators.gt(0));
        seed = new LongParam(this, "seed", "random seed");
        averageOptimizerState = new BooleanParam(this, "averageOptimizerState", "average Adam moments");
        sampler = new Param<>(this, "sampler", "sampler: euler or heun",
                ParamValidators.inArray(new String[]{"euler", "heun"}));
        labelCol = new Param<>(this, "labelCol", "label column");
        channelMult = new IntArrayParam(this, "channelMult", "channel multipliers");
        setDefault(numRounds, 10);
        setDefault(learningRate, 1e-3);
        setDefault(sampler, "heun");
        setDefault(labelCol, "label");
    }

    // Spark finds Params through public no-argument methods, not fields.
    public IntParam numRounds() {
        return numRounds;
    }

    public DoubleParam learningRate() {
        return learningRate;
    }

    public LongParam seed() {
        return seed;
    }

    public BooleanParam averageOptimizerState() {
        return averageOptimizerState;
    }

    public Param<String> sampler() {
        return sampler;
    }

    public Param<String> labelCol() {
        return labelCol;
    }

    public IntArrayParam channelMult() {
        return channelMult;
    }

    int getNumRounds() {
        return (Integer) getOrDefault(numRounds);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        throw new UnsupportedOperationException("a config test stage");
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return schema;
    }

    @Override
    public Transformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
