package io.sparkdiffusion.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** Spark image-source structs from CHW tensors. */
final class ImageStructs {
    /** OpenCV type codes Spark's image source uses: CV_8UC1 and CV_8UC3. */
    static final int CV_8UC1 = 0;
    static final int CV_8UC3 = 16;

    private ImageStructs() {
    }

    /**
     * A Spark image struct (origin "", height, width, nChannels, mode, data) of a CHW image in [-1, 1]: values are
     * clamped and mapped to bytes {@code round((v + 1) * 127.5)}, interleaved in OpenCV's B, G, R order.
     */
    static Row fromChw(float[] chw, int channels, int size) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("a Spark image struct needs 1 or 3 channels, got " + channels);
        }
        int plane = size * size;
        byte[] data = new byte[channels * plane];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < channels; c++) {
                int src = channels == 3 ? 2 - c : c;  // B, G, R from planes R, G, B
                double v = Math.max(-1, Math.min(1, chw[src * plane + i]));
                data[i * channels + c] = (byte) Math.round((v + 1) * 127.5);
            }
        }
        return RowFactory.create("", size, size, channels, channels == 1 ? CV_8UC1 : CV_8UC3, data);
    }
}
