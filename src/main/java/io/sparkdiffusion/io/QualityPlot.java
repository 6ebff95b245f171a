package io.sparkdiffusion.io;

import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * The sample quality of a training run as a PNG: the Fréchet distance (log axis, as {@link LossPlot} draws a loss)
 * against images seen, and below it, for a class-conditional model, the class accuracy on a linear 0..1 axis.
 * Deterministic like {@link LossPlot}.
 */
public final class QualityPlot {
    private static final int PANEL_HEIGHT = 400;
    private static final int MARGIN_LEFT = 80;
    private static final int MARGIN_RIGHT = 30;
    private static final int MARGIN_TOP = 40;
    private static final int MARGIN_BOTTOM = 60;
    private static final Color CURVE = new Color(0xd6, 0x27, 0x28);
    private static final Color GRID = new Color(0xdd, 0xdd, 0xdd);

    private QualityPlot() {
    }

    /**
     * @param imagesSeen    increasing, one per evaluation
     * @param fid           positive Fréchet distances, one per evaluation
     * @param classAccuracy fractions in [0, 1], one per evaluation, or null for an unconditional model
     */
    public static byte[] png(double[] imagesSeen, double[] fid, double[] classAccuracy, String title) {
        BufferedImage top = LossPlot.render(imagesSeen, fid, "images seen", "FID (log scale; lower is better)", title,
                LossPlot.DEFAULT_WIDTH, PANEL_HEIGHT);
        if (classAccuracy == null) {
            return Png.encode(top);
        }
        BufferedImage bottom = renderAccuracy(imagesSeen, classAccuracy, LossPlot.DEFAULT_WIDTH, PANEL_HEIGHT);
        BufferedImage both = new BufferedImage(LossPlot.DEFAULT_WIDTH, 2 * PANEL_HEIGHT, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = both.createGraphics();
        try {
            g.drawImage(top, 0, 0, null);
            g.drawImage(bottom, 0, PANEL_HEIGHT, null);
        } finally {
            g.dispose();
        }
        return Png.encode(both);
    }

    /** Class accuracy against images seen, y from 0 to 1 with a line every 0.1. */
    static BufferedImage renderAccuracy(double[] x, double[] accuracy, int width, int height) {
        if (x.length != accuracy.length) {
            throw new IllegalArgumentException("a quality plot needs one class accuracy per evaluation: got "
                    + x.length + " evaluations, " + accuracy.length + " accuracies");
        }
        for (int i = 0; i < accuracy.length; i++) {
            if (!(accuracy[i] >= 0 && accuracy[i] <= 1)) {
                throw new IllegalArgumentException("classAccuracy[" + i + "] = " + accuracy[i] + " is not in [0, 1]");
            }
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = LossPlot.canvas(image);
        try {
            int plotW = width - MARGIN_LEFT - MARGIN_RIGHT;
            int plotH = height - MARGIN_TOP - MARGIN_BOTTOM;
            double xMax = x.length > 1 ? x[x.length - 1] : x[0] + 1;
            LossPlot.Axis ax = new LossPlot.Axis(MARGIN_LEFT, MARGIN_TOP, plotW, plotH, x[0], xMax, 0, 1);
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i <= 10; i++) {
                int py = (int) Math.round(ax.py(i / 10.0));
                g.setColor(GRID);
                g.drawLine(ax.left(), py, ax.left() + ax.w(), py);
                if (i % 2 == 0) {
                    g.setColor(Color.BLACK);
                    String label = String.format(Locale.ROOT, "%.1f", i / 10.0);
                    g.drawString(label, ax.left() - 6 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
                }
            }
            LossPlot.drawXTicks(g, ax);
            LossPlot.drawCurve(g, ax, x, accuracy, CURVE, true);
            LossPlot.drawLabels(g, ax, "", "images seen", "class accuracy (higher is better)", width, height);
        } finally {
            g.dispose();
        }
        return image;
    }
}
