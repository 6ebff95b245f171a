package io.sparkdiffusion.io;

import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PngTest {
    /** Half a quantisation step of 8 bits over [-1, 1], plus float rounding. */
    private static final float HALF_LEVEL = 1f / 255f + 1e-6f;

    private static Tensor random(int c, int h, int w, long seed, float lo, float hi) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[c * h * w];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
        return new Tensor(v, Shape.of(c, h, w));
    }

    @Test
    void quantizeRoundsHalfUpAndClamps() {
        assertEquals(0, Png.quantize(-1f));
        assertEquals(255, Png.quantize(1f));
        assertEquals(128, Png.quantize(0f)); // (0 + 1) * 127.5 = 127.5 rounds up
        assertEquals(0, Png.quantize(-3f));
        assertEquals(255, Png.quantize(1.7f));
        assertEquals(51, Png.quantize(51 / 127.5f - 1f));
    }

    @Test
    void grayRoundTripIsWithinHalfALevel() throws IOException {
        Tensor x = random(1, 7, 5, 1, -1f, 1f);
        Tensor back = Png.decode(Png.encode(x), "gray");
        assertEquals(x.shape(), back.shape());
        for (int i = 0; i < x.size(); i++) {
            assertEquals(x.get(i), back.get(i), HALF_LEVEL, "pixel " + i);
        }
    }

    @Test
    void rgbRoundTripClampsOutOfRangeValues() throws IOException {
        Tensor x = random(3, 4, 6, 2, -2f, 2f);
        Tensor back = Png.decode(Png.encode(x), "rgb");
        assertEquals(x.shape(), back.shape());
        for (int i = 0; i < x.size(); i++) {
            assertEquals(Math.max(-1f, Math.min(1f, x.get(i))), back.get(i), HALF_LEVEL, "pixel " + i);
        }
    }

    @Test
    void channelZeroIsRed() throws IOException {
        // [3, 1, 1]: red = +1, green = -1, blue = 0 -> 0xFF0080 read back by javax.imageio's own decoder.
        byte[] png = Png.encode(new Tensor(new float[]{1f, -1f, 0f}, Shape.of(3, 1, 1)));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(0xFF0080, image.getRGB(0, 0) & 0xFFFFFF);
    }

    @Test
    void sameImageGivesSameBytesAndNoMetadataChunks() {
        Tensor x = random(1, 28, 28, 3, -1f, 1f);
        byte[] a = Png.encode(x);
        byte[] b = Png.encode(x.copy());
        assertArrayEquals(a, b);
        assertEquals(List.of("IHDR", "IDAT", "IEND"), chunkTypes(a).stream().distinct().toList());
    }

    private static List<String> chunkTypes(byte[] png) {
        ByteBuffer buf = ByteBuffer.wrap(png);
        buf.position(8); // PNG signature
        List<String> types = new ArrayList<>();
        while (buf.remaining() >= 12) {
            int length = buf.getInt();
            byte[] type = new byte[4];
            buf.get(type);
            types.add(new String(type, StandardCharsets.US_ASCII));
            buf.position(buf.position() + length + 4); // data + CRC
        }
        return types;
    }

    @Test
    void nanIsAnErrorNamingThePixel() {
        Tensor x = Tensor.zeros(1, 2, 2);
        x.set(3, Float.NaN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Png.encode(x));
        assertTrue(e.getMessage().contains("row 1, column 1"), e.getMessage());
    }

    @Test
    void twoChannelsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Png.encode(Tensor.zeros(2, 3, 3)));
        assertTrue(e.getMessage().contains("C = 1 or 3") && e.getMessage().contains("[2, 3, 3]"), e.getMessage());
    }

    @Test
    void notAPngIsNamed() {
        IOException e = assertThrows(IOException.class, () -> Png.decode(new byte[]{1, 2, 3}, "junk.png"));
        assertTrue(e.getMessage().startsWith("junk.png"), e.getMessage());
    }
}
