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

class LossPlotTest {
    private static final double[] X = {1000, 2000, 3000, 4000};
    private static final double[] LOSS = {1.2, 0.4, 0.15, 0.09};

    @Test
    void drawsAWhitePictureWithAFrameAndABlueCurve() throws IOException {
        byte[] png = LossPlot.png(X, LOSS, "images seen", "loss", "training loss");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(LossPlot.DEFAULT_WIDTH, image.getWidth());
        assertEquals(LossPlot.DEFAULT_HEIGHT, image.getHeight());
        assertEquals(0xFFFFFF, image.getRGB(2, 2) & 0xFFFFFF);
        int blue = 0;
        int dark = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                int r = rgb >> 16;
                int b = rgb & 0xFF;
                if (b > 150 && r < 80) {
                    blue++;
                }
                if (rgb == 0) {
                    dark++;
                }
            }
        }
        assertTrue(blue > 100, "the curve is drawn, blue pixels: " + blue);
        assertTrue(dark > 2 * (LossPlot.DEFAULT_WIDTH - 110), "frame and labels are drawn, black pixels: " + dark);
    }

    @Test
    void samePointsGiveSameBytes() {
        assertArrayEquals(LossPlot.png(X, LOSS, "x", "y", "t"), LossPlot.png(X.clone(), LOSS.clone(), "x", "y", "t"));
    }

    @Test
    void onePointIsEnough() {
        assertTrue(LossPlot.png(new double[]{5}, new double[]{0.3}, "x", "y", "t").length > 0);
    }

    @Test
    void rejectsLossesALogAxisCannotShow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LossPlot.png(X, new double[]{1, 0, 1, 1}, "x", "y", "t"));
        assertTrue(e.getMessage().startsWith("loss[1] = 0.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LossPlot.png(X, new double[]{1, Double.NaN, 1, 1}, "x", "y", "t"));
        assertThrows(IllegalArgumentException.class, () -> LossPlot.png(new double[]{1, 1}, new double[]{1, 1}, "x", "y", "t"));
        assertThrows(IllegalArgumentException.class, () -> LossPlot.png(X, new double[]{1}, "x", "y", "t"));
    }

    @Test
    void niceStepsAreOneTwoFiveTimesAPowerOfTen() {
        assertEquals(1.0, LossPlot.niceStep(0.7));
        assertEquals(2.0, LossPlot.niceStep(1.3));
        assertEquals(500.0, LossPlot.niceStep(333));
        assertEquals(10.0, LossPlot.niceStep(7));
    }
}
