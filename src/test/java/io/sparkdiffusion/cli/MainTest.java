package io.sparkdiffusion.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {
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
    void everyCommandHasHelpWithExamples() {
        for (Command c : Main.COMMANDS) {
            for (String flag : new String[]{"--help", "-h"}) {
                Result r = run(c.name(), flag);
                assertEquals(0, r.code(), c.name());
                assertTrue(r.out().startsWith("Usage: ./submit.sh"), r.out());
                assertTrue(r.out().contains("Examples:\n  ./submit.sh ") || r.out().contains("Examples:\n  JAVA_OPTS"),
                        r.out());
            }
        }
        Result overview = run("--help");
        assertEquals(0, overview.code());
        for (Command c : Main.COMMANDS) {
            assertTrue(overview.out().contains("  " + c.name() + " "), overview.out());
        }
    }

    @Test
    void trainHelpListsTheConfigKeys() {
        String help = run("train", "--help").out();
        assertTrue(help.contains("Config keys") && help.contains("  dataFormat ") && help.contains("  maxImages "), help);
    }

    @Test
    void mistakesExitWithTwoAndOneLine() {
        Result unknown = run("frob");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("error: unknown command \"frob\""), unknown.err());

        Result missing = run("train", "conf/does-not-exist.json");
        assertEquals(2, missing.code());
        assertEquals("error: config file conf/does-not-exist.json does not exist; configs that come with the "
                + "project are in conf/\n", missing.err());

        Result noModel = run("info");
        assertEquals(2, noModel.code());
        assertEquals("error: info needs --model (see ./submit.sh info --help)\n", noModel.err());
        assertEquals(2, run().code());

        Result noOut = run("sample", "--model", "m", "--num", "3");
        assertEquals("error: sample needs --out (see ./submit.sh sample --help)\n", noOut.err());
        Result badNum = run("sample", "--model", "m", "--num", "0", "--out", "o");
        assertEquals("error: command line (--num): num = 0 is not valid; expected an integer >= 1\n", badNum.err());
        Result noModel2 = run("sample", "--model", "no/such/model", "--num", "1", "--out", "o");
        assertEquals("error: model no/such/model has no metadata/ directory: not a saved Spark ML model\n",
                noModel2.err());
    }

    // features and evaluate: mistakes fail before Spark starts, with exit code 2 and one line naming the problem.

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
