package io.sparkdiffusion.cli;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one standalone cluster the cluster tests share: a Master and 2 Workers of 1 core (and up to 3g) each,
 * separate JVMs on 127.0.0.1 on free ports (a user's cluster on 7077 is left alone), started by {@code bin/cluster.sh} (what
 * {@code ./submit.sh cluster start} runs) on first use and stopped by their pids from a shutdown hook. Jobs go
 * through {@code submit.sh --master}, i.e. the real spark-submit of the assembled Spark home, with an application
 * jar built here from {@code target/classes} (during {@code mvn test} the packaged jar does not exist yet).
 */
final class LocalCluster {
    static final int WORKERS = 2;
    static final long JOB_TIMEOUT_MINUTES = 8;
    /**
     * What each Worker may give its executors: the large-model test's 2g executors fit; the other tests ask for
     * 768m, so this is a cap, not a reservation. A benchmark whose executors need more sets the system property
     * {@code cluster.workerMemory} (e.g. {@code 9g}) before the cluster starts.
     */
    static final String WORKER_MEMORY = System.getProperty("cluster.workerMemory", "3g");
    private static final Path ROOT = Path.of(System.getProperty("user.dir"));
    private static final Path DIR = ROOT.resolve("target/test-cluster");
    private static LocalCluster shared;

    final String masterUrl;
    final Path sparkHome;
    final Path jar;

    private LocalCluster(String masterUrl, Path jar) {
        this.masterUrl = masterUrl;
        this.sparkHome = DIR.resolve("spark-home");
        this.jar = jar;
    }

    /** The shared cluster, started on first use. */
    static synchronized LocalCluster shared() throws IOException, InterruptedException {
        if (shared == null) {
            Path classpath = ROOT.resolve("target/classpath.txt");
            assertTrue(Files.isRegularFile(classpath), classpath + " is missing: the build writes it (pom.xml, "
                    + "spark-classpath); run the tests through Maven");
            int port = freePort();
            int uiPort = freePort();
            Runtime.getRuntime().addShutdownHook(new Thread(LocalCluster::stopByPids, "stop-test-cluster"));
            Path log = Files.createDirectories(DIR).resolve("start.log");
            run(log, Map.of("CLASSPATH_FILE", classpath.toString()), List.of("bash", ROOT.resolve("bin/cluster.sh").toString(),
                    "start", "--workers", String.valueOf(WORKERS), "--cores", "1", "--memory", WORKER_MEMORY, "--port",
                    String.valueOf(port), "--ui-port", String.valueOf(uiPort), "--dir", DIR.toString()), 3);
            shared = new LocalCluster("spark://127.0.0.1:" + port, appJar(DIR.resolve("spark-diffusion-test.jar")));
        }
        return shared;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Stops the workers (and their executors), then the master: exactly the pids bin/cluster.sh recorded. */
    private static void stopByPids() {
        List<ProcessHandle> daemons = new ArrayList<>();
        for (int i = 1; i <= WORKERS; i++) {
            daemons.add(daemon("worker-" + i));
        }
        daemons.add(daemon("master"));
        for (ProcessHandle p : daemons) {
            if (p == null) {
                continue;
            }
            List<ProcessHandle> children = p.descendants().toList();
            p.destroy();
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** The live process of pids/name.pid, or null. */
    static ProcessHandle daemon(String name) {
        try {
            long pid = Long.parseLong(Files.readString(DIR.resolve("pids/" + name + ".pid")).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).orElse(null);
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** The cluster's own spark-defaults.conf (in its Spark home). */
    Path clusterDefaults() {
        return sparkHome.resolve("conf/spark-defaults.conf");
    }

    /** The live executor JVMs that worker {@code worker} (1-based) runs for application {@code appId}. */
    static List<ProcessHandle> executors(int worker, String appId) {
        ProcessHandle w = daemon("worker-" + worker);
        if (w == null) {
            return List.of();
        }
        return w.descendants().filter(p -> {
            String[] args = p.info().arguments().orElse(new String[0]);
            return List.of(args).contains("org.apache.spark.executor.CoarseGrainedExecutorBackend")
                    && String.join(" ", args).contains("--app-id " + appId);
        }).toList();
    }

    /** The application that worker {@code worker} ran most recently: its newest directory under work/. */
    static String latestApp(int worker) throws IOException {
        Path work = DIR.resolve("work/worker-" + worker);
        if (!Files.isDirectory(work)) {
            return null;
        }
        try (Stream<Path> apps = Files.list(work)) {
            return apps.filter(p -> p.getFileName().toString().startsWith("app-"))
                    .max(Comparator.comparing(p -> p.getFileName().toString()))
                    .map(p -> p.getFileName().toString()).orElse(null);
        }
    }

    /**
     * Starts {@code ./submit.sh --jar JAR --master URL args...} with SPARK_HOME the cluster's, a 1g driver and the
     * extra spark-submit arguments {@code submitArgs}; its output (the command's and Spark's) goes to {@code log}.
     */
    Process submit(Path log, String submitArgs, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("submit.sh").toString(), "--jar", jar.toString(),
                "--master", masterUrl));
        cmd.addAll(List.of(args));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SUBMIT_ARGS", "--driver-memory 1g --executor-memory 768m " + submitArgs);
        return start(log, env, cmd);
    }

    /**
     * Starts one more Worker ({@code name}, 1 core) whose executors run {@code javaHome/bin/java}; wait for it with
     * {@link #waitForText} on {@link #log}, stop it with {@link #stopDaemon}.
     */
    ProcessHandle startWorker(String name, Path javaHome) throws IOException {
        Path log = log(name);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", sparkHome.resolve("jars").toString() + File.separator + "*", "org.apache.spark.deploy.worker.Worker",
                "--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", "0",
                "--work-dir", DIR.resolve("work/" + name).toString(), masterUrl);
        Process p = start(log, Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_LOCAL_IP", "127.0.0.1",
                "SPARK_SCALA_VERSION", "2.13", "JAVA_HOME", javaHome.toString()), cmd);
        return p.toHandle();
    }

    /** The log of a daemon of the cluster. */
    static Path log(String name) {
        return DIR.resolve("logs/" + name + ".log");
    }

    /** Stops {@code daemon} and the executors it started, by their pids. */
    static void stopDaemon(ProcessHandle daemon) throws Exception {
        List<ProcessHandle> children = daemon.descendants().toList();
        daemon.destroy();
        try {
            daemon.onExit().get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            daemon.destroyForcibly();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** Starts the cluster's {@code bin/spark-submit --master URL args...}, as a Spark user would run it. */
    Process sparkSubmit(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", sparkHome.resolve("bin/spark-submit").toString(),
                "--master", masterUrl));
        cmd.addAll(List.of(args));
        return start(log, Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_LOCAL_IP", "127.0.0.1"), cmd);
    }

    /**
     * Starts {@code ./submit.sh --jar JAR args...}: the embedded run, on {@code local[2]} with a 1g heap (the
     * JVM's heap is JAVA_OPTS in an embedded run).
     */
    Process embedded(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("submit.sh").toString(), "--jar", jar.toString()));
        cmd.addAll(List.of(args));
        return start(log, Map.of("JAVA_OPTS", "-Xmx1g -Dsparkdiffusion.master=local[2]"), cmd);
    }

    private static Process start(Path log, Map<String, String> env, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().remove("SPARK_HOME");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1"); // every driver, daemon and executor on loopback
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Waits for {@code p} to exit 0 within the job timeout; fails with its log otherwise. */
    static void await(Process p, Path log) throws IOException, InterruptedException {
        boolean done = p.waitFor(JOB_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.ISO_8859_1);
        assertTrue(done, "did not finish in " + JOB_TIMEOUT_MINUTES + " minutes:\n" + output);
        assertEquals(0, p.exitValue(), "failed:\n" + output);
    }

    private static void run(Path log, Map<String, String> env, List<String> cmd, long minutes)
            throws IOException, InterruptedException {
        Process p = start(log, env, cmd);
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish in " + minutes + " minutes:\n" + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + Files.readString(log));
    }

    /** A jar of the main classes and resources: what {@code mvn package} would build. */
    static Path appJar(Path jar) throws IOException {
        return jarOf(jar, ROOT.resolve("target/classes"));
    }

    /**
     * A jar of the main and the test classes, for applications that live in src/test (their classes must reach
     * the executors); made once per JVM.
     */
    static synchronized Path testJar() throws IOException {
        Path jar = DIR.resolve("spark-diffusion-with-tests.jar");
        if (testJar == null) {
            Files.createDirectories(DIR);
            testJar = jarOf(jar, ROOT.resolve("target/classes"), ROOT.resolve("target/test-classes"));
        }
        return testJar;
    }

    private static Path testJar;

    private static Path jarOf(Path jar, Path... dirs) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        java.util.Set<String> names = new java.util.HashSet<>();
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out, manifest)) {
            for (Path classes : dirs) {
                try (Stream<Path> files = Files.walk(classes)) {
                    for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                        String name = classes.relativize(f).toString().replace(File.separatorChar, '/');
                        if (!names.add(name)) {
                            continue; // a resource of both directories: the main one, listed first
                        }
                        jarOut.putNextEntry(new JarEntry(name));
                        Files.copy(f, jarOut);
                        jarOut.closeEntry();
                    }
                }
            }
        }
        return jar;
    }

    /** Waits until {@code file} contains {@code text}, for at most {@code seconds}. */
    static boolean waitForText(Path file, String text, int seconds) throws IOException, InterruptedException {
        for (int i = 0; i < seconds * 10; i++) {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.ISO_8859_1).contains(text)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }
}
