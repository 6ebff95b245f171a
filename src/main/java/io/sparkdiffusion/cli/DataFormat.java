package io.sparkdiffusion.cli;

import java.util.Arrays;

/** How the training data named by the config key {@code data} is stored. */
public enum DataFormat {
    /**
     * A directory with {@code train-images-idx3-ubyte[.gz]} and {@code train-labels-idx1-ubyte[.gz]} (the MNIST
     * layout), read on the driver and distributed as a DataFrame.
     */
    IDX("idx"),
    /**
     * A folder of PNG / JPEG images, one subfolder per class; labels are the subfolder names' indices in sorted
     * order. Listed on the driver, each file read once by the task of its slice ({@link ImageFolderData}).
     */
    IMAGES("images"),
    /** The same as {@code images} (the name of Spark's {@code binaryFile} source, kept for existing configs). */
    BINARY_FILE("binaryFile"),
    /**
     * A Parquet table with an {@code image} column (image struct, PNG / JPEG bytes, or CHW {@code array<float>} in
     * [-1, 1]) and optionally an integer {@code label} column ({@link ParquetData}).
     */
    PARQUET("parquet");

    private final String key;

    DataFormat(String key) {
        this.key = key;
    }

    /** The config value: {@code idx}, {@code images}, {@code binaryFile}, {@code parquet}. */
    public String key() {
        return key;
    }

    public static boolean isKey(String value) {
        return Arrays.stream(values()).anyMatch(f -> f.key.equals(value));
    }

    public static DataFormat fromKey(String value) {
        return Arrays.stream(values()).filter(f -> f.key.equals(value)).findFirst()
                .orElseThrow(() -> new UsageException("dataFormat must be one of " + allowed() + ", got \"" + value + "\""));
    }

    public static String allowed() {
        return Arrays.stream(values()).map(DataFormat::key).toList().toString();
    }
}
