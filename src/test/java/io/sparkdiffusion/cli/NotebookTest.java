package io.sparkdiffusion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executes notebooks/quick-train.ipynb (the quick training through submit.sh) so the committed notebook cannot
 * rot: every code cell must run without an error, and the loss curve and the sample grid must come out as PNG
 * images. Needs Debian's jupyter-nbconvert, python3-nbclient and python3-ipykernel (.ci/run installs them).
 */
class NotebookTest {
    private static final Path NOTEBOOK = Path.of("notebooks", "quick-train.ipynb");
    private static final long TIMEOUT_MINUTES = 15;

    @Test
    void quickTrainingNotebookRunsAndShowsItsPictures(@TempDir Path out) throws Exception {
        assumeTrue(hasNbconvert(), "/usr/bin/python3 cannot import nbconvert, nbclient and ipykernel: "
                + "apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel");
        Path log = out.resolve("nbconvert.log");
        Process run = new ProcessBuilder("/usr/bin/python3", "-m", "nbconvert", "--to", "notebook", "--execute",
                "--ExecutePreprocessor.timeout=1200", "--ExecutePreprocessor.kernel_name=python3",
                "--output-dir", out.toString(), "--output", "executed", NOTEBOOK.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = run.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!finished) {
            run.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(finished, "the notebook did not finish within " + TIMEOUT_MINUTES + " minutes:\n" + output);
        assertEquals(0, run.exitValue(), "nbconvert failed:\n" + output);

        JsonNode executed = new ObjectMapper().readTree(out.resolve("executed.ipynb").toFile());
        List<String> errors = new ArrayList<>();
        int images = 0;
        for (JsonNode cell : executed.get("cells")) {
            for (JsonNode o : cell.path("outputs")) {
                if ("error".equals(o.path("output_type").asText())) {
                    errors.add(o.path("ename").asText() + ": " + o.path("evalue").asText());
                }
                if (o.path("data").has("image/png")) {
                    images++;
                }
            }
        }
        assertTrue(errors.isEmpty(), "cells raised errors: " + errors);
        assertEquals(2, images, "expected the loss curve and the sample grid as PNG outputs");
    }

    private static boolean hasNbconvert() throws IOException, InterruptedException {
        if (!new File("/usr/bin/python3").canExecute()) {
            return false;
        }
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import nbconvert, nbclient, ipykernel")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
