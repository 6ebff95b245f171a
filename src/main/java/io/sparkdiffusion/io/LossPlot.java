package io.sparkdiffusion.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * A loss curve as a PNG, drawn with Java2D on an off-screen image (works headless, no display needed):
 * x linear (e.g. images seen), loss on a log10 axis with a tick at every power of ten in range, axis labels and
 * a title.
 *
 * <p>Deterministic: no timestamps, fixed size and font, so the same points give the same bytes on one JDK.
 */
public final class LossPlot {
    public static final int DEFAULT_WIDTH = 800;
    public static final int DEFAULT_HEIGHT = 500;
    private static final int MARGIN_LEFT = 80;
    private static final int MARGIN_RIGHT = 30;
    private static final int MARGIN_TOP = 40;
    private static final int MARGIN_BOTTOM = 60;
    private static final Color CURVE = new Color(0x1f, 0x77, 0xb4);
    private static final Color GRID = new Color(0xdd, 0xdd, 0xdd);

    static {
        // Safe to force: this class only draws into BufferedImages.
        System.setProperty("java.awt.headless", "true");
    }

    private LossPlot() {
    }

    /** {@link #render} encoded as PNG. */
    public static byte[] png(double[] x, double[] loss, String xLabel, String yLabel, String title) {
        return Png.encode(render(x, loss, xLabel, yLabel, title, DEFAULT_WIDTH, DEFAULT_HEIGHT));
    }

    /**
     * Draws {@code loss[i]} against {@code x[i]}.
     *
     * @param x    increasing abscissae (e.g. images seen)
     * @param loss positive, finite losses, one per x
     */
    public static BufferedImage render(double[] x, double[] loss, String xLabel, String yLabel, String title,
                                       int width, int height) {
        validate(x, loss);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = canvas(image);
        try {
            int plotW = width - MARGIN_LEFT - MARGIN_RIGHT;
            int plotH = height - MARGIN_TOP - MARGIN_BOTTOM;
            double xMin = x[0];
            double xMax = x.length > 1 ? x[x.length - 1] : x[0] + 1;
            double yMin = Math.floor(Math.log10(min(loss)));
            double yMax = Math.ceil(Math.log10(max(loss)));
            if (yMax <= yMin) {
                yMax = yMin + 1;
            }
            Axis ax = new Axis(MARGIN_LEFT, MARGIN_TOP, plotW, plotH, xMin, xMax, yMin, yMax);

            drawYTicks(g, ax);
            drawXTicks(g, ax);
            double[] logLoss = new double[loss.length];
            for (int i = 0; i < loss.length; i++) {
                logLoss[i] = Math.log10(loss[i]);
            }
            drawCurve(g, ax, x, logLoss, CURVE, x.length == 1);
            drawLabels(g, ax, title, xLabel, yLabel, width, height);
        } finally {
            g.dispose();
        }
        return image;
    }

    /** A graphics context on {@code image}, antialiased, filled white, in the plots' font. */
    static Graphics2D canvas(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return g;
    }

    /** The frame, then {@code y[i]} against {@code x[i]} (axis units) as a line; {@code dots} marks each point. */
    static void drawCurve(Graphics2D g, Axis ax, double[] x, double[] y, Color color, boolean dots) {
        g.setColor(Color.BLACK);
        g.drawRect(ax.left, ax.top, ax.w, ax.h);
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        Path2D.Double path = new Path2D.Double();
        for (int i = 0; i < x.length; i++) {
            double px = ax.px(x[i]);
            double py = ax.py(y[i]);
            if (i == 0) {
                path.moveTo(px, py);
            } else {
                path.lineTo(px, py);
            }
            if (dots) {
                g.fillOval((int) px - 3, (int) py - 3, 6, 6);
            }
        }
        g.draw(path);
    }

    /** The title above the plot, the x label below it and the y label rotated at the left. */
    static void drawLabels(Graphics2D g, Axis ax, String title, String xLabel, String yLabel, int width, int height) {
        g.setColor(Color.BLACK);
        FontMetrics fm = g.getFontMetrics();
        if (!title.isEmpty()) {
            g.setFont(g.getFont().deriveFont(Font.BOLD, 14f));
            FontMetrics bold = g.getFontMetrics();
            g.drawString(title, (width - bold.stringWidth(title)) / 2, ax.top - 14);
            g.setFont(g.getFont().deriveFont(Font.PLAIN, 12f));
        }
        g.drawString(xLabel, ax.left + (ax.w - fm.stringWidth(xLabel)) / 2, height - 15);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(ax.top + (ax.h + fm.stringWidth(yLabel)) / 2), 18);
        g.setTransform(saved);
    }

    record Axis(int left, int top, int w, int h, double xMin, double xMax, double yMin, double yMax) {
        double px(double x) {
            return left + (x - xMin) / (xMax - xMin) * w;
        }

        double py(double log10y) {
            return top + h - (log10y - yMin) / (yMax - yMin) * h;
        }
    }

    private static void drawYTicks(Graphics2D g, Axis ax) {
        FontMetrics fm = g.getFontMetrics();
        for (int e = (int) ax.yMin; e <= (int) ax.yMax; e++) {
            int py = (int) Math.round(ax.py(e));
            g.setColor(GRID);
            g.drawLine(ax.left, py, ax.left + ax.w, py);
            for (int m = 2; m < 10 && e < ax.yMax; m++) {
                int minor = (int) Math.round(ax.py(e + Math.log10(m)));
                g.drawLine(ax.left, minor, ax.left + 4, minor);
            }
            g.setColor(Color.BLACK);
            String label = "1e" + e;
            g.drawString(label, ax.left - 6 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
        }
    }

    /** Vertical grid lines and labels at nice steps of x (shared with {@link QualityPlot}). */
    static void drawXTicks(Graphics2D g, Axis ax) {
        FontMetrics fm = g.getFontMetrics();
        double step = niceStep((ax.xMax - ax.xMin) / 6);
        for (double v = Math.ceil(ax.xMin / step) * step; v <= ax.xMax + step * 1e-9; v += step) {
            int px = (int) Math.round(ax.px(v));
            g.setColor(GRID);
            g.drawLine(px, ax.top, px, ax.top + ax.h);
            g.setColor(Color.BLACK);
            String label = formatTick(v);
            g.drawString(label, px - fm.stringWidth(label) / 2, ax.top + ax.h + fm.getAscent() + 4);
        }
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[]{1, 2, 5, 10}) {
            if (m * p >= raw) {
                return m * p;
            }
        }
        return 10 * p;
    }

    static String formatTick(double v) {
        if (Math.abs(v) >= 1e6) {
            return trim(String.format(Locale.ROOT, "%.3g", v / 1e6)) + "M";
        }
        if (Math.abs(v) >= 1e3) {
            return trim(String.format(Locale.ROOT, "%.3g", v / 1e3)) + "k";
        }
        return trim(String.format(Locale.ROOT, "%.3g", v));
    }

    private static String trim(String decimal) {
        return decimal.contains(".") && !decimal.contains("e") ? decimal.replaceAll("\\.?0+$", "") : decimal;
    }

    private static void validate(double[] x, double[] loss) {
        if (x.length == 0 || x.length != loss.length) {
            throw new IllegalArgumentException("a loss plot needs as many x as loss values and at least one: got "
                    + x.length + " x, " + loss.length + " losses");
        }
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || (i > 0 && x[i] <= x[i - 1])) {
                throw new IllegalArgumentException("x must be finite and increasing; x[" + i + "] = " + x[i]
                        + (i > 0 ? " after x[" + (i - 1) + "] = " + x[i - 1] : ""));
            }
            if (!(loss[i] > 0) || !Double.isFinite(loss[i])) {
                throw new IllegalArgumentException("loss[" + i + "] = " + loss[i]
                        + " cannot go on a log axis; losses must be positive and finite");
            }
        }
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double d : v) {
            m = Math.min(m, d);
        }
        return m;
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double d : v) {
            m = Math.max(m, d);
        }
        return m;
    }
}
