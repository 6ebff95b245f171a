package io.sparkdiffusion.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PyTorch twin run one operation at a time by a script shipped in the jar beside this class
 * ({@code torch_steps.py}: a training step or a forward pass; {@code torch_heun.py --serve}: one Heun batch), so
 * that {@link EngineBenchmark} can time one twin step after each Java step: on a shared machine whose speed drifts
 * over minutes, the two engines are then measured under the same conditions. One child process, one thread.
 */
final class TwinSteps implements AutoCloseable {
    private static final Pattern SECONDS = Pattern.compile("\"seconds\"\\s*:\\s*([-+0-9.eE]+)");
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final Path script;
    private String lastAnswer;

    private TwinSteps(Process process, Path script) {
        this.process = process;
        this.script = script;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /**
     * Starts the twin's training and forward steps ({@code torch_steps.py --twin .. --batch .. --sample-batch ..
     * --num-classes .. --warmup ..}); see {@link #start(String, String, List, Consumer)}.
     */
    static TwinSteps start(String python, Path twin, int batch, int sampleBatch, int numClasses, int warmup,
                           Consumer<String> lines) throws IOException {
        return start(python, "torch_steps.py", List.of("--twin", twin.toString(), "--batch", Integer.toString(batch),
                "--sample-batch", Integer.toString(sampleBatch), "--num-classes", Integer.toString(numClasses),
                "--warmup", Integer.toString(warmup)), lines);
    }

    /**
     * Starts {@code python script args} ({@code script} a resource beside this class, copied to a temporary file)
     * and waits until it prints {@code {"ready": true}}; its other JSON lines before that go to {@code lines}.
     * Throws when it exits or fails before it is ready, with what it printed.
     */
    static TwinSteps start(String python, String resource, List<String> args, Consumer<String> lines)
            throws IOException {
        Path script = Files.createTempFile(resource.replace(".py", ""), ".py");
        try (InputStream in = TwinSteps.class.getResourceAsStream(resource)) {
            if (in == null) {
                Files.deleteIfExists(script);
                throw new IllegalStateException(resource + " is missing from the jar (io/sparkdiffusion/cli/)");
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
        cmd.addAll(args);
        Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        TwinSteps steps = new TwinSteps(process, script);
        List<String> seen = new ArrayList<>();
        for (String line = steps.out.readLine(); ; line = steps.out.readLine()) {
            if (line == null) {
                steps.close();
                throw new IOException("the twin (" + String.join(" ", cmd) + ") exited before it was ready: "
                        + String.join(" | ", seen));
            }
            if (line.contains("\"ready\"")) {
                return steps;
            }
            seen.add(line);
            if (line.startsWith("{")) {
                lines.accept(line);
            }
        }
    }

    /**
     * Runs one operation in the twin ({@code train}, {@code forward}, {@code heun}); returns its wall seconds as
     * the twin timed them. Its whole answer is {@link #lastAnswer()}.
     */
    double step(String op) throws IOException {
        in.write(op + "\n");
        in.flush();
        String line = out.readLine();
        lastAnswer = line;
        Matcher m = line == null ? null : SECONDS.matcher(line);
        if (m == null || !m.find()) {
            throw new IOException("the twin did not time '" + op + "': it answered "
                    + (line == null ? "nothing (it exited)" : line));
        }
        return Double.parseDouble(m.group(1));
    }

    /** The twin's answer to the last {@link #step}, a JSON line (null before the first). */
    String lastAnswer() {
        return lastAnswer;
    }

    /** Asks the twin to quit, waits up to a minute, then kills it; removes the script copy. */
    @Override
    public void close() throws IOException {
        try {
            try {
                in.write("quit\n");
                in.flush();
            } catch (IOException alreadyGone) {
                // The process has exited: nothing to ask.
            }
            if (!process.waitFor(1, TimeUnit.MINUTES)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
