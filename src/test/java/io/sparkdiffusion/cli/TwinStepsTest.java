package io.sparkdiffusion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sparkdiffusion.nn.unet.UNet;
import io.sparkdiffusion.nn.unet.UNetConfig;
import io.sparkdiffusion.nn.unet.UNetParityTest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The twin stepped on command (torch_steps.py through TwinSteps), as the benchmark runs it beside the Java engine. */
class TwinStepsTest {

    @Test
    void stepsTheTwinOneOperationAtATimeAndRefusesAnUnknownOne() throws IOException {
        Path twin = UNetParityTest.twinScript();
        assumeTrue(twin != null, "torch_unet.py not found (set TORCH_UNET or -Dtorch.unet=PATH); skipping");
        assumeTrue(UNetParityTest.pythonHasTorch(), "/usr/bin/python3 cannot import torch; skipping");
        List<String> lines = new ArrayList<>();
        try (TwinSteps steps = TwinSteps.start("/usr/bin/python3", twin, 2, 2, 0, 0, lines::add)) {
            // The twin built the network the Java engine builds: the same parameter count, counted by torch.
            assertEquals(1, lines.size(), lines.toString());
            Matcher params = Pattern.compile("\"params\":\\s*(\\d+)").matcher(lines.get(0));
            assertTrue(params.find(), lines.get(0));
            assertEquals(new UNet(UNetConfig.small(1, 28, 0), 0).numParameters(), Long.parseLong(params.group(1)));
            assertTrue(steps.step("train") > 0);
            assertTrue(steps.step("forward") > 0);
            assertTrue(steps.step("train") > 0);
            IOException refused = assertThrows(IOException.class, () -> steps.step("sample"));
            assertTrue(refused.getMessage().contains("unknown command 'sample'"), refused.getMessage());
        }
    }

    @Test
    void servesHeunBatchesCountingTheirNetworkEvaluations() throws IOException {
        Path twin = UNetParityTest.twinScript();
        assumeTrue(twin != null, "torch_unet.py not found (set TORCH_UNET or -Dtorch.unet=PATH); skipping");
        assumeTrue(UNetParityTest.pythonHasTorch(), "/usr/bin/python3 cannot import torch; skipping");
        try (TwinSteps heun = TwinSteps.start("/usr/bin/python3", "torch_heun.py", List.of("--twin", twin.toString(),
                "--batch", "2", "--num-steps", "3", "--warmup", "0", "--serve"), line -> { })) {
            assertTrue(heun.step("heun") > 0);
            // Heun over 3 noise levels and a last step to 0: 3 Euler evaluations and 2 corrections (the step to 0
            // has none), as EDM's Algorithm 1 counts them.
            assertTrue(heun.lastAnswer().contains("\"network_evaluations\": 5"), heun.lastAnswer());
            IOException refused = assertThrows(IOException.class, () -> heun.step("train"));
            assertTrue(refused.getMessage().contains("unknown command 'train'"), refused.getMessage());
        }
    }

    @Test
    void aTwinThatCannotStartIsReportedWithWhatItPrinted() {
        Path missing = Path.of("target/no-such-twin.py");
        IOException e = assertThrows(IOException.class,
                () -> TwinSteps.start("/usr/bin/python3", missing, 2, 2, 0, 0, line -> { }));
        assertTrue(e.getMessage().contains("exited before it was ready"), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-twin.py"), e.getMessage());
    }
}
