package io.sparkdiffusion.cli;

import io.sparkdiffusion.diffusion.Denoiser;
import io.sparkdiffusion.io.Idx;
import io.sparkdiffusion.io.LabeledImages;
import io.sparkdiffusion.model.UNetDenoiser;
import io.sparkdiffusion.spark.DiffusionModel;
import org.apache.spark.sql.SparkSession;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A measurement, not a test: how well saved models denoise, noise level by noise level. For each model and each
 * {@code sigma} of a fixed ladder, on the last {@code n} bundled images {@code y} (pixels in [-1, 1]) with the same
 * seeded unit noise {@code e} for every model (paired comparison), it prints the mean squared error per pixel of the
 * EMA denoiser {@code D(y + sigma e; sigma, label)} against {@code y}:
 * <ul>
 *   <li>{@code mse}: with the image's own label;</li>
 *   <li>{@code uncond}: with "no label" (what classifier-free guidance uses);</li>
 *   <li>{@code wrong}: with the label {@code (label + 5) mod 10} (a different class);</li>
 *   <li>{@code gain = wrong - mse}: how much the label helps at this noise level (0: the label is ignored).</li>
 * </ul>
 * Two references: the error of always answering the mean of all bundled images (what the ideal unconditional
 * denoiser tends to as sigma grows) and of answering the mean of the image's class (the same for the ideal
 * conditional denoiser); a good denoiser is far below both at small sigma and approaches them at large sigma.
 * Runs on the driver thread.
 *
 * <pre>
 *   ./probe.sh denoiser [n=64] MODEL_DIR...
 * </pre>
 */
public final class DenoiserProbeMain {
    private static final double[] SIGMAS = {0.01, 0.03, 0.1, 0.3, 0.6, 1, 2, 5, 10, 30, 80};

    private DenoiserProbeMain() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        SparkSession spark = SparkSession.builder().master("local[1]").appName("denoiser-probe")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            LabeledImages data;
            Path dir = Path.of("data", "fashion-mnist");
            try (InputStream images = Files.newInputStream(dir.resolve("train-images-idx3-ubyte.gz"));
                 InputStream labels = Files.newInputStream(dir.resolve("train-labels-idx1-ubyte.gz"))) {
                data = Idx.readLabeled(images, "images", labels, "labels");
            }
            int dim = data.height() * data.width();
            int first = data.count() - n;
            byte[] px = data.images().data();
            double[] y = new double[n * dim];
            int[] label = new int[n];
            int[] wrong = new int[n];
            int[] none = new int[n];
            double[] mean = new double[dim];
            double[][] classMean = new double[10][dim];
            int[] classCount = new int[10];
            for (int i = 0; i < data.count(); i++) {
                int k = data.labels().label(i);
                classCount[k]++;
                for (int j = 0; j < dim; j++) {
                    double v = (px[i * dim + j] & 0xFF) / 127.5 - 1.0;
                    mean[j] += v / data.count();
                    classMean[k][j] += v;
                }
            }
            for (int k = 0; k < 10; k++) {
                for (int j = 0; j < dim; j++) {
                    classMean[k][j] /= classCount[k];
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < dim; j++) {
                    y[i * dim + j] = (px[(first + i) * dim + j] & 0xFF) / 127.5 - 1.0;
                }
                label[i] = data.labels().label(first + i);
                wrong[i] = (label[i] + 5) % 10;
                none[i] = Denoiser.NO_LABEL;
            }
            double meanErr = 0;
            double classErr = 0;
            for (int i = 0; i < n * dim; i++) {
                double d = y[i] - mean[i % dim];
                double c = y[i] - classMean[label[i / dim]][i % dim];
                meanErr += d * d / (n * dim);
                classErr += c * c / (n * dim);
            }
            System.out.printf(Locale.ROOT, "%d images; error per pixel of the data mean %.4f, of the class mean %.4f%n",
                    n, meanErr, classErr);
            for (int a = 1; a < args.length; a++) {
                DiffusionModel model = DiffusionModel.load(args[a]);
                var p = model.diffusionParameterization();
                UNetDenoiser d = new UNetDenoiser(model.networkConfig(), p, model.emaWeights());
                System.out.printf(Locale.ROOT, "%s (%s)%n%8s %9s %9s %9s %9s%n", args[a], p, "sigma", "mse", "uncond",
                        "wrong", "gain");
                for (double sigma : SIGMAS) {
                    SplittableRandom rng = new SplittableRandom(Double.doubleToLongBits(sigma));
                    double[] x = new double[n * dim];
                    for (int i = 0; i < n * dim; i++) {
                        x[i] = y[i] + sigma * rng.nextGaussian();
                    }
                    double[] s = new double[n];
                    java.util.Arrays.fill(s, sigma);
                    double mse = error(d, x, s, label, y, n, dim);
                    double uncond = error(d, x, s, none, y, n, dim);
                    double bad = error(d, x, s, wrong, y, n, dim);
                    System.out.printf(Locale.ROOT, "%8.3g %9.4f %9.4f %9.4f %9.4f%n", sigma, mse, uncond, bad,
                            bad - mse);
                }
            }
        } finally {
            spark.stop();
        }
    }

    private static double error(Denoiser d, double[] x, double[] sigma, int[] labels, double[] y, int n, int dim) {
        double[] out = new double[n * dim];
        d.denoise(x, sigma, labels, n, dim, out);
        double sum = 0;
        for (int i = 0; i < n * dim; i++) {
            double e = out[i] - y[i];
            sum += e * e;
        }
        return sum / (n * dim);
    }
}
