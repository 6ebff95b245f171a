package io.sparkdiffusion.spark;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;

/** Reading image tensors and labels out of rows: the column types the stages accept. */
final class ImageColumns {
    private ImageColumns() {
    }

    /** Whether {@code t} is array&lt;float&gt;, array&lt;double&gt; or an ML Vector. */
    static boolean isNumericArray(DataType t) {
        return t instanceof VectorUDT || (t instanceof ArrayType a
                && (a.elementType().equals(DataTypes.FloatType) || a.elementType().equals(DataTypes.DoubleType)));
    }

    /** Throws unless {@code col} exists in {@code schema} and holds an image tensor. */
    static void requireTensorColumn(StructType schema, String col, String param) {
        requireColumn(schema, col, param);
        DataType t = schema.apply(col).dataType();
        if (!isNumericArray(t)) {
            throw new IllegalArgumentException(param + " '" + col + "' must be array<float>, array<double> or a Vector, got "
                    + t.simpleString());
        }
    }

    /** Throws unless {@code col} exists in {@code schema} and holds integers. */
    static void requireIntColumn(StructType schema, String col, String param) {
        requireColumn(schema, col, param);
        DataType t = schema.apply(col).dataType();
        if (!(t instanceof IntegerType || t instanceof LongType || t instanceof ShortType)) {
            throw new IllegalArgumentException(param + " '" + col + "' must hold integers (int or long), got "
                    + t.simpleString());
        }
    }

    static void requireColumn(StructType schema, String col, String param) {
        if (!Arrays.asList(schema.fieldNames()).contains(col)) {
            throw new IllegalArgumentException(param + " '" + col + "' is not a column; the columns are "
                    + Arrays.toString(schema.fieldNames()));
        }
    }

    static void requireAbsent(StructType schema, String col, String param) {
        if (Arrays.asList(schema.fieldNames()).contains(col)) {
            throw new IllegalArgumentException(param + " '" + col + "' already exists; choose another output column name");
        }
    }

    /**
     * Copies the image tensor at {@code field} of {@code row} into {@code out[offset, offset + size)}.
     *
     * @return false if the value is null
     */
    static boolean readTensor(Row row, int field, float[] out, int offset, int size, String col) {
        if (row.isNullAt(field)) {
            return false;
        }
        Object v = row.get(field);
        if (v instanceof Vector vec) {
            requireSize(vec.size(), size, col);
            for (int i = 0; i < size; i++) {
                out[offset + i] = finite((float) vec.apply(i), i, col);
            }
            return true;
        }
        List<Object> list = row.getList(field);
        requireSize(list.size(), size, col);
        for (int i = 0; i < size; i++) {
            Object x = list.get(i);
            if (x == null) {
                throw new IllegalArgumentException("column '" + col + "' holds an array with a null element at " + i);
            }
            out[offset + i] = finite(((Number) x).floatValue(), i, col);
        }
        return true;
    }

    private static float finite(float v, int index, String col) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("column '" + col + "' holds " + v + " at index " + index
                    + " of an image; pixel values must be finite numbers in [-1, 1]");
        }
        return v;
    }

    private static void requireSize(int got, int expected, String col) {
        if (got != expected) {
            throw new IllegalArgumentException("column '" + col + "' holds an image of " + got + " values, expected "
                    + expected + " (channels x height x width); is the image shape set right?");
        }
    }
}
