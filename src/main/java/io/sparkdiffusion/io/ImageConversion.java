package io.sparkdiffusion.io;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Pixel conversions behind {@code spark.ImageTensorizer}: decoded images as planar {@code [C, H, W]} doubles in [0, 1],
 * channel conversion, resize-and-centre-crop, and the mapping to [-1, 1].
 */
public final class ImageConversion {
    private ImageConversion() {
    }

    /**
     * An image as planes of doubles in [0, 1].
     *
     * @param pixels {@code [channels, height, width]}: 1 channel (gray) or 3 (R, G, B)
     */
    public record Planar(double[] pixels, int channels, int height, int width) {
    }

    /**
     * The planes of a Spark image-source struct's bytes: row-major, interleaved, OpenCV channel order (B, G, R, A).
     *
     * @return null if the struct does not describe a valid 8-bit image
     */
    public static Planar fromOpenCvBytes(byte[] data, int height, int width, int nChannels) {
        if (data == null || height <= 0 || width <= 0 || !(nChannels == 1 || nChannels == 3 || nChannels == 4)
                || data.length != (long) height * width * nChannels) {
            return null;
        }
        int outC = nChannels == 1 ? 1 : 3;
        int plane = height * width;
        double[] p = new double[outC * plane];
        for (int i = 0; i < plane; i++) {
            int base = i * nChannels;
            if (outC == 1) {
                p[i] = (data[base] & 0xFF) / 255.0;
            } else {
                p[i] = (data[base + 2] & 0xFF) / 255.0;           // R
                p[plane + i] = (data[base + 1] & 0xFF) / 255.0;   // G
                p[2 * plane + i] = (data[base] & 0xFF) / 255.0;   // B
            }
        }
        return new Planar(p, outC, height, width);
    }

    /**
     * Decodes PNG or JPEG bytes with ImageIO. Gray images keep their stored values (no colour-space conversion);
     * palette images use their palette's RGB; alpha is dropped.
     *
     * <p>The size in the image's header is checked against {@code maxPixels} before any pixel is decoded, so a
     * decompression bomb (a small file that claims billions of pixels) is refused without allocating them. A
     * decoder warning (e.g. a JPEG that ends early, which ImageIO would pad with gray) is an error too: a
     * half-decoded image is never passed on as data.
     *
     * @throws InvalidImageException saying why the bytes are not a usable image
     */
    public static Planar decode(byte[] bytes, long maxPixels) throws InvalidImageException {
        if (bytes == null || bytes.length == 0) {
            throw new InvalidImageException("an empty file (0 bytes), not a PNG or JPEG image");
        }
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new InvalidImageException("bytes that are not a PNG or JPEG image: they cannot be decoded "
                        + "(no image format recognises their first bytes)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > maxPixels) {
                    throw new InvalidImageException("an image of " + reader.getWidth(0) + " x " + reader.getHeight(0)
                            + " = " + pixels + " pixels, over maxImagePixels " + maxPixels
                            + " (a decompression bomb, or raise maxImagePixels)");
                }
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                img = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new InvalidImageException("bytes that cannot be decoded as PNG or JPEG completely: "
                            + String.join("; ", warnings));
                }
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new InvalidImageException("bytes that cannot be decoded as PNG or JPEG (" + e + ")");
        }
        if (img == null) {
            throw new InvalidImageException("bytes that cannot be decoded as PNG or JPEG");
        }
        int h = img.getHeight();
        int w = img.getWidth();
        int plane = h * w;
        Raster r = img.getRaster();
        int bands = r.getNumBands();
        if (img.getColorModel() instanceof IndexColorModel || bands > 4) {
            double[] p = new double[3 * plane];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int argb = img.getRGB(x, y);
                    int i = y * w + x;
                    p[i] = ((argb >> 16) & 0xFF) / 255.0;
                    p[plane + i] = ((argb >> 8) & 0xFF) / 255.0;
                    p[2 * plane + i] = (argb & 0xFF) / 255.0;
                }
            }
            return new Planar(p, 3, h, w);
        }
        int channels = bands <= 2 ? 1 : 3;
        double max = (1L << img.getColorModel().getComponentSize(0)) - 1;
        double[] p = new double[channels * plane];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    p[c * plane + y * w + x] = r.getSample(x, y, c) / max;
                }
            }
        }
        return new Planar(p, channels, h, w);
    }

    /**
     * Converts to {@code channels} channels: gray to RGB replicates; RGB to gray is ITU-R BT.601 luma
     * {@code 0.299 R + 0.587 G + 0.114 B}.
     */
    public static Planar toChannels(Planar in, int channels) {
        if (in.channels() == channels) {
            return in;
        }
        int plane = in.height() * in.width();
        double[] p = new double[channels * plane];
        double[] s = in.pixels();
        if (channels == 1) {
            for (int i = 0; i < plane; i++) {
                p[i] = 0.299 * s[i] + 0.587 * s[plane + i] + 0.114 * s[2 * plane + i];
            }
        } else {
            for (int c = 0; c < channels; c++) {
                System.arraycopy(s, 0, p, c * plane, plane);
            }
        }
        return new Planar(p, channels, in.height(), in.width());
    }

    /**
     * Scales the image so that its shorter side is {@code size} and crops the centre {@code size x size}.
     * Resampling is separable with a triangle (bilinear) kernel widened by the downscale factor, so
     * downscaling averages (antialiases) instead of skipping pixels, as PIL's bilinear resize does; an image
     * already {@code size x size} is returned unchanged.
     */
    public static Planar resizeCrop(Planar in, int size) {
        int h = in.height();
        int w = in.width();
        if (h == size && w == size) {
            return in;
        }
        double scale = (double) size / Math.min(h, w);
        int rh = Math.max(size, (int) Math.round(h * scale));
        int rw = Math.max(size, (int) Math.round(w * scale));
        int offY = (rh - size) / 2;
        int offX = (rw - size) / 2;
        Kernel ky = new Kernel(h, rh, offY, size);
        Kernel kx = new Kernel(w, rw, offX, size);
        int c = in.channels();
        double[] src = in.pixels();
        double[] rows = new double[c * size * w];
        for (int ch = 0; ch < c; ch++) {
            for (int oy = 0; oy < size; oy++) {
                for (int k = 0; k < ky.count[oy]; k++) {
                    int sy = ky.start[oy] + k;
                    double wt = ky.weights[oy][k];
                    int srcRow = (ch * h + sy) * w;
                    int dstRow = (ch * size + oy) * w;
                    for (int x = 0; x < w; x++) {
                        rows[dstRow + x] += wt * src[srcRow + x];
                    }
                }
            }
        }
        double[] out = new double[c * size * size];
        for (int ch = 0; ch < c; ch++) {
            for (int oy = 0; oy < size; oy++) {
                int srcRow = (ch * size + oy) * w;
                for (int ox = 0; ox < size; ox++) {
                    double acc = 0;
                    for (int k = 0; k < kx.count[ox]; k++) {
                        acc += kx.weights[ox][k] * rows[srcRow + kx.start[ox] + k];
                    }
                    out[(ch * size + oy) * size + ox] = acc;
                }
            }
        }
        return new Planar(out, c, size, size);
    }

    /** Resampling weights from an axis of {@code in} pixels to outputs {@code from .. from+count-1} of {@code out}. */
    private static final class Kernel {
        final int[] start;
        final int[] count;
        final double[][] weights;

        Kernel(int in, int out, int from, int count) {
            this.start = new int[count];
            this.count = new int[count];
            this.weights = new double[count][];
            double ratio = (double) in / out;
            double support = Math.max(1.0, ratio);
            for (int o = 0; o < count; o++) {
                double centre = (from + o + 0.5) * ratio;
                int lo = Math.max(0, (int) Math.floor(centre - support));
                int hi = Math.min(in, (int) Math.ceil(centre + support));
                double[] wts = new double[hi - lo];
                double total = 0;
                for (int k = lo; k < hi; k++) {
                    double wt = Math.max(0, 1 - Math.abs(k + 0.5 - centre) / support);
                    wts[k - lo] = wt;
                    total += wt;
                }
                for (int k = 0; k < wts.length; k++) {
                    wts[k] /= total;
                }
                start[o] = lo;
                this.count[o] = wts.length;
                weights[o] = wts;
            }
        }
    }

    /** The planes mapped from [0, 1] to [-1, 1] as float32 CHW. */
    public static float[] toSigned(Planar in) {
        double[] p = in.pixels();
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = (float) (2 * p[i] - 1);
        }
        return out;
    }
}
