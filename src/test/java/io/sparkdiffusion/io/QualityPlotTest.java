package io.sparkdiffusion.io;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QualityPlotTest {
    private static final double[] X = {1000, 2000, 3000, 4000};
    private static final double[] FID = {900, 400, 150, 90};
    private static final double[] ACC = {0.1, 0.3, 0.6, 0.8};

    private static BufferedImage read(byte[] png) throws IOException {
        return ImageIO.read(new ByteArrayInputStream(png));
    }

    /** The class-accuracy curve's y at column x of the lower panel: the red pixels' mean row, or -1. */
    private static double redRow(BufferedImage image, int x, int top) {
        double sum = 0;
        int n = 0;
        for (int y = top; y < image.getHeight(); y++) {
            int rgb = image.getRGB(x, y) & 0xFFFFFF;
            if ((rgb >> 16) > 180 && ((rgb >> 8) & 0xFF) < 90 && (rgb & 0xFF) < 90) {
                sum += y;
                n++;
            }
        }
        return n == 0 ? -1 : sum / n;
    }

    @Test
    void fidAboveClassAccuracyBelow() throws IOException {
        BufferedImage both = read(QualityPlot.png(X, FID, ACC, "sample quality"));
        assertEquals(LossPlot.DEFAULT_WIDTH, both.getWidth());
        assertEquals(800, both.getHeight(), "two panels of 400 rows");
        // The accuracy panel spans rows 440 (1.0) to 740 (0.0) of the image: y = 740 - 300 * accuracy. At the
        // first and last evaluation (x = 80 and 770) the curve is at 0.1 and 0.8.
        assertEquals(740 - 300 * 0.1, redRow(both, 82, 400), 4);
        assertEquals(740 - 300 * 0.8, redRow(both, 768, 400), 4);
        BufferedImage fidOnly = read(QualityPlot.png(X, FID, null, "sample quality"));
        assertEquals(400, fidOnly.getHeight(), "an unconditional model: the FID panel only");
        assertArrayEquals(QualityPlot.png(X, FID, ACC, "t"), QualityPlot.png(X, FID, ACC, "t"), "deterministic");
    }

    @Test
    void badValuesAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> QualityPlot.png(X, FID, new double[] {0.1, 1.5, 0, 0}, "t"));
        assertTrue(e.getMessage().contains("classAccuracy[1] = 1.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QualityPlot.png(X, FID, new double[] {0.1}, "t"));
        assertThrows(IllegalArgumentException.class, () -> QualityPlot.png(X, new double[] {900, 0, 1, 2}, ACC, "t"));
    }
}
