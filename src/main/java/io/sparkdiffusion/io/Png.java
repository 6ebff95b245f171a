package io.sparkdiffusion.io;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * PNG encoding of CHW float images in [-1, 1], for 1 (gray) and 3 (RGB) channels.
 *
 * <p>Quantisation: {@code byte = clamp(floor((x + 1) * 127.5 + 0.5), 0, 255)}, so -1 maps to 0, +1 to 255 and
 * a value exactly between two levels rounds up; decoding inverts it as {@code x = byte / 127.5 - 1}, so
 * {@code decode(encode(x))} is within {@code 1 / 255} of {@code clamp(x, -1, 1)}. NaN is an error, never a
 * silent black pixel.
 *
 * <p>The encoder writes IHDR, IDAT and IEND only: no tIME chunk or other metadata, so the same image gives the
 * same bytes on every run (on one JDK: the deflate stream comes from its zlib).
 */
public final class Png {

    static {
        // No disk cache: encoding runs on executors, where a temp dir may be small or shared.
        ImageIO.setUseCache(false);
    }

    private Png() {
    }

    /** The byte level of {@code x} in [-1, 1] (clamped), rounding half up. */
    public static int quantize(float x) {
        double level = Math.floor((x + 1.0) * 127.5 + 0.5);
        return (int) Math.max(0, Math.min(255, level));
    }

    /** Encodes {@code image} of shape {@code [C, H, W]}, C = 1 or 3, values in [-1, 1] (clamped). */
    public static byte[] encode(Tensor image) {
        return encode(toBufferedImage(image));
    }

    /** Encodes an 8-bit gray or RGB image without metadata. */
    public static byte[] encode(BufferedImage image) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this JDK has no javax.imageio PNG writer");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new IllegalStateException("PNG encoding into memory failed", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** The 8-bit image of {@code image} {@code [C, H, W]}: C = 1 gives TYPE_BYTE_GRAY, C = 3 TYPE_3BYTE_BGR. */
    public static BufferedImage toBufferedImage(Tensor image) {
        Shape shape = image.shape();
        if (shape.rank() != 3 || (shape.dim(0) != 1 && shape.dim(0) != 3)) {
            throw new IllegalArgumentException("a PNG image must be [C, H, W] with C = 1 or 3, got " + shape);
        }
        int channels = shape.dim(0);
        int height = shape.dim(1);
        int width = shape.dim(2);
        BufferedImage out = new BufferedImage(width, height,
                channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster raster = out.getRaster();
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    float v = image.get(c * plane + y * width + x);
                    if (Float.isNaN(v)) {
                        throw new IllegalArgumentException("image " + shape + " has NaN at channel " + c + ", row " + y
                                + ", column " + x + "; a PNG pixel must be a number in [-1, 1]");
                    }
                    raster.setSample(x, y, c, quantize(v));
                }
            }
        }
        return out;
    }

    /**
     * Decodes an 8-bit gray ({@code [1, H, W]}) or RGB ({@code [3, H, W]}) PNG into [-1, 1].
     *
     * @param name what to call the input in errors
     */
    public static Tensor decode(byte[] png, String name) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        if (image == null) {
            throw new IOException(name + ": not a PNG (or any image format javax.imageio reads)");
        }
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        int bits = image.getColorModel().getComponentSize(0);
        if (image.getColorModel() instanceof IndexColorModel || bits != 8 || (bands != 1 && bands != 3)) {
            throw new IOException(name + ": a " + bands + "-band, " + bits + "-bit"
                    + (image.getColorModel() instanceof IndexColorModel ? " palette" : "")
                    + " image is not supported; expected 8-bit gray or RGB without alpha");
        }
        int height = image.getHeight();
        int width = image.getWidth();
        float[] pixels = new float[bands * height * width];
        for (int c = 0; c < bands; c++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    pixels[(c * height + y) * width + x] = raster.getSample(x, y, c) / 127.5f - 1f;
                }
            }
        }
        return new Tensor(pixels, Shape.of(bands, height, width));
    }
}
