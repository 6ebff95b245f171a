package io.sparkdiffusion.cli;

import io.sparkdiffusion.diffusion.Likelihood;
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
 * A measurement, not a test: bits per dimension of a saved Fashion-MNIST model on the last {@code n} bundled images,
 * uniformly dequantized, through {@link Likelihood} with the model's U-Net (exact Jacobian quadratic forms, one
 * Rademacher probe per image), conditional on each image's label and unconditional. Runs on the driver thread.
 *
 * <pre>
 *   ./probe.sh likelihood MODEL_DIR [n=16] [steps=100]
 * </pre>
 */
public final class LikelihoodMain {
    private LikelihoodMain() {
    }

    public static void main(String[] args) throws Exception {
        String modelPath = args[0];
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        SparkSession spark = SparkSession.builder().master("local[1]").appName("likelihood")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            DiffusionModel model = DiffusionModel.load(modelPath);
            UNetDenoiser d = new UNetDenoiser(model.networkConfig(), model.diffusionParameterization(),
                    model.emaWeights());
            LabeledImages data;
            Path dir = Path.of("data", "fashion-mnist");
            try (InputStream images = Files.newInputStream(dir.resolve("train-images-idx3-ubyte.gz"));
                 InputStream labels = Files.newInputStream(dir.resolve("train-labels-idx1-ubyte.gz"))) {
                data = io.sparkdiffusion.io.Idx.readLabeled(images, "images", labels, "labels");
            }
            int dim = data.height() * data.width();
            int first = data.count() - n;
            byte[] px = data.images().data();
            SplittableRandom rng = new SplittableRandom(2026);
            double[] x = new double[n * dim];
            int[] y = new int[n];
            long[] seeds = new long[n];
            for (int i = 0; i < n; i++) {
                int[] k = new int[dim];
                for (int j = 0; j < dim; j++) {
                    k[j] = px[(first + i) * dim + j] & 0xFF;
                }
                System.arraycopy(Likelihood.dequantize(k, rng), 0, x, i * dim, dim);
                y[i] = data.labels().label(first + i);
                seeds[i] = 1000 + i;
            }
            var p = model.diffusionParameterization();
            Likelihood l = new Likelihood(p.sigmaMin(), p.sigmaMax(), steps, 1, 1e-3);
            for (int[] labels : new int[][] {y, null}) {
                long t0 = System.nanoTime();
                double[] logp = l.logDensity(d, x, labels, seeds, n, dim);
                double sum = 0;
                double sumSq = 0;
                for (double v : logp) {
                    double b = Likelihood.bitsPerDim(v, dim);
                    sum += b;
                    sumSq += b * b;
                }
                double mean = sum / n;
                double se = Math.sqrt(Math.max(0, sumSq / n - mean * mean) / (n - 1));
                System.out.printf(Locale.ROOT, "%s: %.3f bits/dim +- %.3f (standard error over %d images; sigma %.3g"
                                + " to %.3g, %d Heun steps, %s, %.0f s)%n", labels == null ? "unconditional" : "conditional",
                        mean, se, n, p.sigmaMin(), p.sigmaMax(), steps, model.getParameterization(),
                        (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            spark.stop();
        }
    }
}
