package io.sparkdiffusion.metrics;

import io.sparkdiffusion.io.Idx;
import io.sparkdiffusion.io.LabeledImages;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Fréchet distance of real feature sets against pytorch-fid's formula in scipy (src/test/python/fid_scipy.py:
 * numpy's mean and cov, scipy.linalg.sqrtm of S1 S2). Features: Fashion-MNIST images of data/fashion-mnist,
 * average-pooled over 4x4 blocks to 7x7 = 49 values in [0, 1], so the covariances are full rank and far from
 * diagonal.
 */
class FrechetScipyTest {
    /** The brief's bound: two double-precision computations by different methods (eigh vs Schur sqrtm). */
    static final double RELATIVE = 1e-6;
    private static final String PYTHON = "/usr/bin/python3";
    private static final int POOL = 4;

    @Test
    void matchesScipySqrtmOnPooledFashionMnistFeatures() throws Exception {
        assumeTrue(pythonHasScipy(), PYTHON + " cannot import scipy (Debian: apt-get install python3-scipy); skipping");
        LabeledImages data = fashionMnist();
        float[] first = pooled(data, 0, 1500, -1);
        float[] second = pooled(data, 1500, 3000, -1);
        float[] upperBody = pooled(data, 3000, 6000, 4); // classes 0..4 only: a different distribution
        assertMatchesScipy(first, second, "two halves of the same data");
        assertMatchesScipy(first, upperBody, "all classes vs classes 0..4");
    }

    private static void assertMatchesScipy(float[] a, float[] b, String what) throws Exception {
        int d = 49;
        Path dir = Files.createDirectories(Paths.get("target", "fid-scipy"));
        Path fa = write(dir.resolve("a.txt"), a, d);
        Path fb = write(dir.resolve("b.txt"), b, d);
        double expected = Double.parseDouble(run(PYTHON, "src/test/python/fid_scipy.py", fa.toString(), fb.toString()));
        double actual = FrechetDistance.between(FeatureMoments.ofRows(a, d), FeatureMoments.ofRows(b, d)).value();
        assertTrue(expected > 0, what + ": scipy gave " + expected);
        assertEquals(expected, actual, RELATIVE * expected, what + ": scipy " + expected + ", ours " + actual);
    }

    /** Images [from, to) with label <= maxLabel (all when -1), each average-pooled to 7x7 in [0, 1]. */
    static float[] pooled(LabeledImages data, int from, int to, int maxLabel) {
        int h = data.height();
        int w = data.width();
        int ph = h / POOL;
        int pw = w / POOL;
        byte[] px = data.images().data();
        float[] out = new float[(to - from) * ph * pw];
        int n = 0;
        for (int i = from; i < to; i++) {
            if (maxLabel >= 0 && data.labels().label(i) > maxLabel) {
                continue;
            }
            for (int y = 0; y < ph; y++) {
                for (int x = 0; x < pw; x++) {
                    int sum = 0;
                    for (int dy = 0; dy < POOL; dy++) {
                        for (int dx = 0; dx < POOL; dx++) {
                            sum += px[i * h * w + (y * POOL + dy) * w + x * POOL + dx] & 0xFF;
                        }
                    }
                    out[n++] = sum / (POOL * POOL * 255f);
                }
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    static LabeledImages fashionMnist() throws IOException {
        Path dir = Paths.get("data", "fashion-mnist");
        try (InputStream images = Files.newInputStream(dir.resolve("train-images-idx3-ubyte.gz"));
             InputStream labels = Files.newInputStream(dir.resolve("train-labels-idx1-ubyte.gz"))) {
            return Idx.readLabeled(images, "train-images", labels, "train-labels");
        }
    }

    /** One row per line; each float written as its exact double value, so Python reads the same numbers. */
    private static Path write(Path file, float[] rows, int d) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < rows.length; i++) {
            s.append(Double.toString(rows[i])).append(i % d == d - 1 ? '\n' : ' ');
        }
        return Files.writeString(file, s, StandardCharsets.US_ASCII);
    }

    private static boolean pythonHasScipy() {
        try {
            run(PYTHON, "-c", "import scipy.linalg, numpy");
            return true;
        } catch (Exception | AssertionError e) {
            return false;
        }
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0, String.join(" ", cmd) + " failed: " + out);
        return out;
    }
}
