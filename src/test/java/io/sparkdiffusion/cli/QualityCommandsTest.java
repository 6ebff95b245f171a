package io.sparkdiffusion.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** features and evaluate: mistakes fail before Spark starts, with exit code 2 and one line naming the problem. */
class QualityCommandsTest {
    private record Result(int code, String out, String err) {
    }

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void featuresRejectsBadKeysAndValues() {
        Result unknown = run("features", "conf/features-fashion-mnist.json", "--feature-dims", "8");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("error: command line (--feature-dims): unknown key \"featureDims\""),
                unknown.err());
        Result fraction = run("features", "conf/features-fashion-mnist.json", "--test-fraction", "1.5");
        assertEquals(2, fraction.code());
        assertTrue(fraction.err().contains("testFraction = 1.5 is not valid; expected a number in (0, 1)"),
                fraction.err());
        Result two = run("features");
        assertEquals(2, two.code());
        assertTrue(two.err().startsWith("error: features needs exactly one config file"), two.err());
    }

    @Test
    void evaluateNeedsAModelAndAFeatureNetwork() {
        Result noFeatures = run("evaluate", "--model", "runs/none/model");
        assertEquals(2, noFeatures.code());
        assertEquals("error: evaluate needs --features (see ./submit.sh evaluate --help)\n", noFeatures.err());
        Result notSaved = run("evaluate", "--model", "conf", "--features", "conf");
        assertEquals(2, notSaved.code());
        assertTrue(notSaved.err().startsWith("error: model conf has no metadata/ directory"), notSaved.err());
        Result badNum = run("evaluate", "--model", "m", "--features", "f", "--num", "1");
        assertEquals(2, badNum.code());
        assertTrue(badNum.err().contains("num = 1 is not valid; expected an integer >= 2"), badNum.err());
        Result network = run("evaluate", "--model", "m", "--features", "f", "--image-size", "32");
        assertEquals(2, network.code());
        assertTrue(network.err().contains("unknown key \"imageSize\""), network.err());
    }
}
