package io.sparkdiffusion.nn.unet;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.nn.Parameter;
import io.sparkdiffusion.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Golden parity with the PyTorch twin (shared/reference/torch_unet.py): the twin's weights are copied into the
 * Java U-Net by name; output, MSE loss, input gradient and every parameter gradient must agree within
 * {@link #TOLERANCE} relative error, defined per tensor as {@code max|java - torch| / max|torch|}.
 *
 * <p>The mc8 fixtures are committed (regenerate with src/test/python/make_fixtures.sh); the full unet-small
 * (32 channels) and a 3x32x32 network are dumped into target/ at test time when /usr/bin/python3 has torch.
 */
public class UNetParityTest {
    static final double TOLERANCE = 1e-4;
    private static final String PYTHON = "/usr/bin/python3";

    @Test
    void matchesTwinWithClassesAt8Channels() throws Exception {
        assertParity(resource("fixtures/unet-mc8-c10"));
    }

    @Test
    void matchesTwinWithoutClassesAt8Channels() throws Exception {
        assertParity(resource("fixtures/unet-mc8-c0"));
    }

    @Test
    void matchesTwinForTheFullSmallPreset() throws Exception {
        Path twin = twinScript();
        assumeTrue(twin != null, "torch_unet.py not found (set TORCH_UNET or -Dtorch.unet=PATH); skipping the 32-channel parity");
        assumeTrue(pythonHasTorch(), PYTHON + " cannot import torch; skipping the 32-channel parity");
        Path dir = Paths.get("target", "fixtures", "unet-mc32-c10");
        run(PYTHON, twin.toString(), "--dump", dir.toString(), "--model-channels", "32", "--num-classes", "10");
        assertParity(dir);
    }

    /**
     * The CIFAR geometry (3x32x32, attention at 8x8) with one unlabelled image (an all-zero one-hot), dumped by
     * src/test/python/dump_twin.py from the twin's own UNet class.
     */
    @Test
    void matchesTwinOnRgb32WithAnUnlabelledImage() throws Exception {
        Path twin = twinScript();
        assumeTrue(twin != null, "torch_unet.py not found (set TORCH_UNET or -Dtorch.unet=PATH); skipping the 3x32x32 parity");
        assumeTrue(pythonHasTorch(), PYTHON + " cannot import torch; skipping the 3x32x32 parity");
        Path dir = Paths.get("target", "fixtures", "unet-mc8-rgb32-c10");
        run(PYTHON, "src/test/python/dump_twin.py", "--twin", twin.toString(), "--dump", dir.toString(),
                "--img-channels", "3", "--img-resolution", "32", "--attn-resolution", "8", "--model-channels", "8",
                "--num-classes", "10", "--batch", "3");
        TwinFixture fx = TwinFixture.load(dir);
        assertEquals(-1, fx.labels()[2], "the fixture's last image is unlabelled");
        assertParity(dir);
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0, "twin dump failed: " + out);
    }

    private static void assertParity(Path dir) throws IOException {
        TwinFixture fx = TwinFixture.load(dir);
        int numClasses = fx.manifest().get("num_classes").asInt();
        int modelChannels = fx.manifest().get("model_channels").asInt();
        int imgChannels = fx.manifest().get("img").get(0).asInt();
        int imgResolution = fx.manifest().get("img").get(1).asInt();
        // small() puts attention at imgResolution / 4: the twin's 7 for 28 and the fixture's 8 for 32
        UNet net = new UNet(UNetConfig.small(imgChannels, imgResolution, numClasses).withModelChannels(modelChannels), 0);
        List<String> javaNames = net.parameters().parameters().stream().map(Parameter::name).toList();
        assertEquals(fx.parameterNames(), javaNames, "parameter names and order");
        assertEquals(fx.manifest().get("params").asInt(), net.numParameters());
        for (Parameter p : net.parameters().parameters()) {
            p.value().copyFrom(fx.get(p.name()));
        }

        Tape tape = new Tape();
        Var x = tape.input(fx.get("input/x"));
        Var y = net.forward(tape, x, fx.get("input/c_noise").toArray(), fx.labels());
        Var loss = tape.mse(y, fx.get("input/target"));
        net.parameters().zeroGrads();
        tape.backward(loss);

        List<String> report = new ArrayList<>();
        double worst = 0;
        String worstName = "";
        List<Object[]> checks = new ArrayList<>();
        checks.add(new Object[] {"output/y", y.value()});
        checks.add(new Object[] {"output/loss", loss.value()});
        checks.add(new Object[] {"grad/input/x", x.grad()});
        for (Parameter p : net.parameters().parameters()) {
            checks.add(new Object[] {"grad/" + p.name(), p.grad()});
        }
        for (Object[] c : checks) {
            String name = (String) c[0];
            double err = TwinFixture.relativeError((Tensor) c[1], fx.get(name));
            if (err > worst) {
                worst = err;
                worstName = name;
            }
            if (!(err <= TOLERANCE)) {
                report.add(name + " rel err " + err);
            }
        }
        System.out.printf("parity %s: %d tensors, worst relative error %.3g (%s)%n", dir.getFileName(), checks.size(),
                worst, worstName);
        assertTrue(report.isEmpty(), "tensors beyond " + TOLERANCE + ": " + report);
    }

    private static Path resource(String name) throws URISyntaxException {
        return Paths.get(UNetParityTest.class.getClassLoader().getResource(name).toURI());
    }

    /** The twin script: -Dtorch.unet, $TORCH_UNET, or shared/reference beside or above the repository. */
    public static Path twinScript() {
        List<String> candidates = new ArrayList<>();
        if (System.getProperty("torch.unet") != null) {
            candidates.add(System.getProperty("torch.unet"));
        }
        if (System.getenv("TORCH_UNET") != null) {
            candidates.add(System.getenv("TORCH_UNET"));
        }
        candidates.add("../shared/reference/torch_unet.py");
        candidates.add("../../shared/reference/torch_unet.py");
        for (String c : candidates) {
            Path p = Paths.get(c);
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        return null;
    }

    public static boolean pythonHasTorch() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
