package io.sparkdiffusion.spark;

import io.sparkdiffusion.io.ImageConversion;
import io.sparkdiffusion.io.InvalidImageException;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
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
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Turns images into the tensors the other stages train on: an {@code array<float>} column holding a CHW image
 * of {@code imageChannels x imageSize x imageSize} values in [-1, 1].
 *
 * <p>Accepted input columns:
 * <ul>
 *   <li>a Spark image-source struct ({@code spark.read().format("image")}): 8-bit, 1, 3 or 4 channels in
 *       OpenCV's B, G, R(, A) order;</li>
 *   <li>binary file bytes ({@code spark.read().format("binaryFile")}'s {@code content}): PNG or JPEG;</li>
 *   <li>{@code array<float>}, {@code array<double>} or a Vector: a CHW image of shape {@code inputShape}
 *       (default: the output shape) whose values span {@code [inputMin, inputMax]}.</li>
 * </ul>
 * Channels are converted (gray to RGB by replication, RGB to gray by BT.601 luma, alpha dropped), the shorter
 * side is scaled to {@code imageSize} (triangle filter, antialiased) and the centre square is kept.
 *
 * <p>{@code handleInvalid} says what happens to rows that cannot be read (null, empty, undecodable or truncated
 * files, images over {@code maxImagePixels}, arrays of the wrong size or with NaN or infinite values):
 * {@code error} fails the job naming the row's problem, {@code skip} drops the row, {@code keep} keeps it
 * with a null output. Errors name the file (the {@code path} column of {@code binaryFile} input, the
 * {@code origin} of an image struct) or the column, and the problem.
 */
public final class ImageTensorizer extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    /**
     * The default {@code maxImagePixels}: 50 megapixels. Decoding keeps the image as planar doubles, so an RGB
     * image of this size takes 1.2 GB on its executor; larger ones are almost always mistakes or attacks.
     */
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 50_000_000L;
    /** The file-path column of Spark's {@code binaryFile} source, used to name bad files in errors. */
    static final String PATH_COL = "path";

    private final String uid;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final IntParam imageChannels;
    private final IntParam imageSize;
    private final IntArrayParam inputShape;
    private final DoubleParam inputMin;
    private final DoubleParam inputMax;
    private final Param<String> handleInvalid;
    private final LongParam maxImagePixels;

    public ImageTensorizer() {
        this(Identifiable$.MODULE$.randomUID("imageTensorizer"));
    }

    public ImageTensorizer(String uid) {
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "input column: a Spark image struct, PNG/JPEG bytes, or a CHW array/Vector");
        outputCol = new Param<>(this, "outputCol", "output column: array<float>, CHW in [-1, 1]");
        imageChannels = new IntParam(this, "imageChannels", "output channels: 1 (gray) or 3 (RGB)",
                Validators.of(v -> (Integer) v == 1 || (Integer) v == 3));
        imageSize = new IntParam(this, "imageSize", "output height and width (shorter side scaled to it, centre cropped)",
                Validators.intAtLeast(1));
        inputShape = new IntArrayParam(this, "inputShape",
                "[C, H, W] of array/Vector input (C = 1 or 3); empty means the output shape",
                Validators.of(a -> a.length == 0 || (a.length == 3 && (a[0] == 1 || a[0] == 3) && a[1] > 0 && a[2] > 0)));
        inputMin = new DoubleParam(this, "inputMin", "value of black in array/Vector input (maps to -1)",
                Validators.finite());
        inputMax = new DoubleParam(this, "inputMax", "value of white in array/Vector input (maps to 1); > inputMin",
                Validators.finite());
        handleInvalid = Validators.choice(this, "handleInvalid",
                "rows that cannot be read fail the job (error), are dropped (skip) or give a null output (keep)",
                List.of("error", "skip", "keep"));
        setDefault(inputCol, "image");
        setDefault(outputCol, "tensor");
        setDefault(imageChannels, 1);
        setDefault(imageSize, 28);
        setDefault(inputShape, new int[0]);
        setDefault(inputMin, 0.0);
        setDefault(inputMax, 1.0);
        maxImagePixels = new LongParam(this, "maxImagePixels",
                "largest width x height of a PNG/JPEG or image struct; larger ones (decompression bombs) are invalid rows",
                Validators.longAtLeast(1));
        setDefault(handleInvalid, "error");
        setDefault(maxImagePixels, DEFAULT_MAX_IMAGE_PIXELS);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> inputCol() { return inputCol; }
    public Param<String> outputCol() { return outputCol; }
    public IntParam imageChannels() { return imageChannels; }
    public IntParam imageSize() { return imageSize; }
    public IntArrayParam inputShape() { return inputShape; }
    public DoubleParam inputMin() { return inputMin; }
    public DoubleParam inputMax() { return inputMax; }
    public Param<String> handleInvalid() { return handleInvalid; }
    public LongParam maxImagePixels() { return maxImagePixels; }

    public String getInputCol() { return $(inputCol); }
    public String getOutputCol() { return $(outputCol); }
    public int getImageChannels() { return (Integer) $(imageChannels); }
    public int getImageSize() { return (Integer) $(imageSize); }
    public int[] getInputShape() { return $(inputShape); }
    public double getInputMin() { return (Double) $(inputMin); }
    public double getInputMax() { return (Double) $(inputMax); }
    public String getHandleInvalid() { return $(handleInvalid); }
    public long getMaxImagePixels() { return (Long) $(maxImagePixels); }

    public ImageTensorizer setInputCol(String v) { set(inputCol, v); return this; }
    public ImageTensorizer setOutputCol(String v) { set(outputCol, v); return this; }
    public ImageTensorizer setImageChannels(int v) { set(imageChannels, v); return this; }
    public ImageTensorizer setImageSize(int v) { set(imageSize, v); return this; }
    public ImageTensorizer setInputShape(int[] v) { set(inputShape, v); return this; }
    public ImageTensorizer setInputMin(double v) { set(inputMin, v); return this; }
    public ImageTensorizer setInputMax(double v) { set(inputMax, v); return this; }
    public ImageTensorizer setHandleInvalid(String v) { set(handleInvalid, v); return this; }
    public ImageTensorizer setMaxImagePixels(long v) { set(maxImagePixels, v); return this; }

    private enum Kind { IMAGE_STRUCT, BYTES, ARRAY }

    private Kind inputKind(StructType schema) {
        ImageColumns.requireColumn(schema, getInputCol(), "inputCol");
        DataType t = schema.apply(getInputCol()).dataType();
        if (t instanceof StructType s && Arrays.asList(s.fieldNames()).containsAll(
                Arrays.asList("height", "width", "nChannels", "data"))) {
            return Kind.IMAGE_STRUCT;
        }
        if (t instanceof BinaryType) {
            return Kind.BYTES;
        }
        if (ImageColumns.isNumericArray(t)) {
            return Kind.ARRAY;
        }
        throw new IllegalArgumentException("inputCol '" + getInputCol() + "' must be a Spark image struct, binary "
                + "(PNG/JPEG bytes), array<float>, array<double> or a Vector, got " + t.simpleString());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        inputKind(schema);
        ImageColumns.requireAbsent(schema, getOutputCol(), "outputCol");
        if (!(getInputMax() > getInputMin())) {
            throw new IllegalArgumentException("inputMax must be > inputMin, got inputMin = " + getInputMin()
                    + ", inputMax = " + getInputMax());
        }
        return schema.add(getOutputCol(), DataTypes.createArrayType(DataTypes.FloatType, false), true);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        Kind kind = inputKind(dataset.schema());
        Converter converter = new Converter(kind, getImageChannels(), getImageSize(), getInputShape(), getInputMin(),
                getInputMax(), getHandleInvalid().toLowerCase(Locale.ROOT), getInputCol(), getMaxImagePixels());
        ArrayType out = new ArrayType(DataTypes.FloatType, false);
        // binaryFile input: the file's path goes along so that errors can name the file.
        boolean withPath = kind == Kind.BYTES && Arrays.asList(dataset.schema().fieldNames()).contains(PATH_COL)
                && dataset.schema().apply(PATH_COL).dataType().equals(DataTypes.StringType);
        Column value = withPath
                ? functions.udf((UDF2<Object, String, float[]>) converter::convert, out)
                        .apply(functions.col(getInputCol()), functions.col(PATH_COL))
                : functions.udf((UDF1<Object, float[]>) v -> converter.convert(v, null), out)
                        .apply(functions.col(getInputCol()));
        Dataset<Row> result = dataset.withColumn(getOutputCol(), value);
        return converter.handleInvalid.equals("skip") ? result.filter(functions.col(getOutputCol()).isNotNull()) : result;
    }

    /** The per-row conversion; holds plain settings only, so it ships to executors without the stage. */
    private static final class Converter implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final Kind kind;
        private final int channels;
        private final int size;
        private final int[] inputShape;
        private final double min;
        private final double max;
        final String handleInvalid;
        private final String col;
        private final long maxPixels;

        Converter(Kind kind, int channels, int size, int[] inputShape, double min, double max, String handleInvalid,
                  String col, long maxPixels) {
            this.kind = kind;
            this.channels = channels;
            this.size = size;
            this.inputShape = inputShape.length == 0 ? new int[] {channels, size, size} : inputShape;
            this.min = min;
            this.max = max;
            this.handleInvalid = handleInvalid;
            this.col = col;
            this.maxPixels = maxPixels;
        }

        /**
         * The tensor of one value, or null for an invalid one under skip/keep.
         *
         * @param path the file the value came from, or null when unknown
         */
        float[] convert(Object value, String path) {
            ImageConversion.Planar planar;
            String origin = path;
            try {
                if (value == null) {
                    throw new InvalidImageException("a null value");
                }
                planar = switch (kind) {
                    case IMAGE_STRUCT -> {
                        Row r = (Row) value;
                        origin = structOrigin(r);
                        yield fromStruct(r);
                    }
                    case BYTES -> ImageConversion.decode((byte[]) value, maxPixels);
                    case ARRAY -> fromArray(value);
                };
            } catch (InvalidImageException e) {
                if (handleInvalid.equals("error")) {
                    throw new IllegalArgumentException("ImageTensorizer: column '" + col + "'"
                            + (origin == null ? "" : " of " + origin) + " holds " + e.getMessage()
                            + "; set handleInvalid to skip or keep to pass over such rows");
                }
                return null;
            }
            return ImageConversion.toSigned(ImageConversion.resizeCrop(ImageConversion.toChannels(planar, channels), size));
        }

        private static String structOrigin(Row r) {
            int i = Arrays.asList(r.schema().fieldNames()).indexOf("origin");
            return i < 0 || r.isNullAt(i) ? null : r.getString(i);
        }

        private ImageConversion.Planar fromStruct(Row r) throws InvalidImageException {
            if (r.isNullAt(r.fieldIndex("data"))) {
                throw new InvalidImageException("an image struct without data (an image the image source could not read)");
            }
            int height = r.<Integer>getAs("height");
            int width = r.<Integer>getAs("width");
            int nChannels = r.<Integer>getAs("nChannels");
            if ((long) height * width > maxPixels) {
                throw new InvalidImageException("an image of " + width + " x " + height + " = " + (long) height * width
                        + " pixels, over maxImagePixels " + maxPixels);
            }
            ImageConversion.Planar p = ImageConversion.fromOpenCvBytes(r.getAs("data"), height, width, nChannels);
            if (p == null) {
                throw new InvalidImageException("an image struct that is not a valid 8-bit image with 1, 3 or 4 channels"
                        + " (height " + height + ", width " + width + ", nChannels " + nChannels + ")");
            }
            return p;
        }

        private ImageConversion.Planar fromArray(Object value) throws InvalidImageException {
            int n = inputShape[0] * inputShape[1] * inputShape[2];
            double[] p = new double[n];
            double range = max - min;
            int length = value instanceof Vector v ? v.size() : ((scala.collection.Seq<?>) value).length();
            if (length != n) {
                throw new InvalidImageException("an array of " + length + " values, expected " + n
                        + " values for inputShape " + Arrays.toString(inputShape));
            }
            for (int i = 0; i < n; i++) {
                double x;
                if (value instanceof Vector v) {
                    x = v.apply(i);
                } else {
                    Object o = ((scala.collection.Seq<?>) value).apply(i);
                    if (o == null) {
                        throw new InvalidImageException("an array with a null at index " + i);
                    }
                    x = ((Number) o).doubleValue();
                }
                if (!Double.isFinite(x)) {
                    throw new InvalidImageException("an array with " + (float) x + " at index " + i
                            + " (pixel values must be finite numbers)");
                }
                p[i] = (x - min) / range;
            }
            return new ImageConversion.Planar(p, inputShape[0], inputShape[1], inputShape[2]);
        }
    }

    @Override
    public ImageTensorizer copy(ParamMap extra) {
        return (ImageTensorizer) defaultCopy(extra);
    }

    public static MLReader<ImageTensorizer> read() {
        return new DefaultParamsReader<>();
    }

    public static ImageTensorizer load(String path) {
        return read().load(path);
    }
}
