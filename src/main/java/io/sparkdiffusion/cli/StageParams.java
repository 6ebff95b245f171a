package io.sparkdiffusion.cli;

import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import scala.Function1;
import scala.Option;

import java.util.Arrays;

/**
 * Spark Params as config keys: the JSON type of each typed Param, its validator and default. This is what Spark's
 * own {@code DefaultParamsReader} does when it loads a stage's metadata JSON (look the Param up by name, decode,
 * {@code set}), with stricter type checks and messages that name the key.
 */
final class StageParams {

    private StageParams() {
    }

    /** The JSON type of {@code param}, or empty for a Param type a config cannot hold. */
    static java.util.Optional<ValueType> typeOf(Param<?> param) {
        ValueType type;
        if (param instanceof IntParam) {
            type = ValueType.INTEGER;
        } else if (param instanceof LongParam) {
            type = ValueType.LONG;
        } else if (param instanceof DoubleParam || param instanceof FloatParam) {
            type = ValueType.NUMBER;
        } else if (param instanceof BooleanParam) {
            type = ValueType.BOOLEAN;
        } else if (param instanceof StringArrayParam) {
            type = ValueType.STRING_ARRAY;
        } else if (param instanceof IntArrayParam) {
            type = ValueType.INTEGER_ARRAY;
        } else if (param instanceof DoubleArrayParam) {
            type = ValueType.NUMBER_ARRAY;
        } else if (param.getClass() == Param.class) {
            // An untyped Param: Spark's JSON codec for it only handles strings (and vectors/matrices).
            type = ValueType.STRING;
        } else {
            type = null;
        }
        return java.util.Optional.ofNullable(type);
    }

    /** {@code value} in the form the Param holds (a FloatParam holds a Float). */
    static Object toParamValue(Param<?> param, Object decoded) {
        if (param instanceof FloatParam) {
            return ((Double) decoded).floatValue();
        }
        return decoded;
    }

    /** Whether the Param's validator accepts {@code value}. */
    @SuppressWarnings("unchecked")
    static boolean isValid(Param<?> param, Object value) {
        return (Boolean) ((Function1<Object, Object>) param.isValid()).apply(value);
    }

    /** Sets {@code param} of {@code stage} to {@code value} (already checked). */
    @SuppressWarnings("unchecked")
    static void set(Params stage, Param<?> param, Object value) {
        stage.set((Param<Object>) param, value);
    }

    /** The default of {@code param} on {@code stage}, as text, or empty when it has none. */
    static java.util.Optional<String> defaultText(Params stage, Param<?> param) {
        Option<?> value = stage.getDefault(param);
        if (value.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(show(value.get()));
    }

    /** A value as it would appear in a config: arrays as JSON arrays, strings quoted. */
    static String show(Object value) {
        if (value instanceof String s) {
            return "\"" + s + "\"";
        }
        if (value instanceof String[] a) {
            return Arrays.stream(a).map(s -> "\"" + s + "\"").toList().toString();
        }
        if (value instanceof int[] a) {
            return Arrays.toString(a);
        }
        if (value instanceof double[] a) {
            return Arrays.toString(a);
        }
        return String.valueOf(value);
    }
}
