package io.sparkdiffusion.cli;

import io.sparkdiffusion.spark.ReductionProbe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./probe.sh reduction [ROUNDS=4] [PARTITIONS=8] [CASES]}: the round overhead (broadcast + reduction) of the
 * tree and the sliced reduction on the one-machine cluster ({@link LocalCluster}: 2 Workers of 1 core; 2g
 * executors; a 2g driver with Spark's default maxResultSize, or {@code -Dreduction.driverMemory=4g
 * -Dreduction.maxResultSize=2g} in JAVA_OPTS), for 1.6 M and 16 M weights with Adam (3 floats per weight move) and
 * 60 M with SGD (1 float: Adam at 60 M does not fit this machine's share), one local step of
 * {@link io.sparkdiffusion.spark.QuadraticObjective} per round; CASES replaces these, e.g.
 * {@code 16000000:sgd,1600000:adam}. Round 1 (executors starting, shards cached) is left out of the means. Prints a
 * Markdown table; the overhead is also given as a share of a 20-step round of unet-small at batch 32, from the
 * compute rate passed as {@code -Dunet.small.imagesPerCoreSecond} (default 46: README, conf/fashion-mnist.json on
 * the idle machine, 92 images/s on 2 cores).
 */
public final class ReductionBenchmark {

    private record Case(String label, int numParameters, String optimizer) {
    }

    /** The driver's heap and result limit: 2g and Spark's default 1g unless -Dreduction.driverMemory=... etc. */
    private static final String DRIVER_MEMORY = System.getProperty("reduction.driverMemory", "2g");
    private static final String MAX_RESULT_SIZE = System.getProperty("reduction.maxResultSize", "1g");

    private ReductionBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        double unetSmallRate = Double.parseDouble(System.getProperty("unet.small.imagesPerCoreSecond", "46"));
        double unetSmallRound = 20 * 32 / unetSmallRate;
        List<Case> cases = args.length > 2 ? parseCases(args[2]) : List.of(new Case("1.6 M, Adam", 1_600_000, "adam"),
                new Case("16 M, Adam", 16_000_000, "adam"), new Case("60 M, SGD", 60_000_000, "sgd"));
        LocalCluster cluster = LocalCluster.shared();
        Path dir = Files.createDirectories(Path.of("target/test-cluster/runs/" + UUID.randomUUID()));
        List<String> rows = new ArrayList<>();
        for (Case c : cases) {
            for (String path : List.of("tree", "sliced")) {
                Path log = dir.resolve(c.numParameters() + "-" + c.optimizer() + "-" + path + ".log");
                long t0 = System.nanoTime();
                List<String> output = runProbe(cluster, log, LocalCluster.JOB_TIMEOUT_MINUTES,
                        List.of("--driver-memory", DRIVER_MEMORY, "--executor-memory", "2g", "--conf",
                                "spark.driver.maxResultSize=" + MAX_RESULT_SIZE), "bench",
                        String.valueOf(c.numParameters()), String.valueOf(partitions), String.valueOf(rounds), "1", path,
                        c.optimizer());
                String row = row(c, path, output, unetSmallRound);
                System.out.printf(Locale.ROOT, "%s (%.0f s, log %s)%n", row, (System.nanoTime() - t0) / 1e9, log);
                rows.add(row);
            }
        }
        System.out.printf(Locale.ROOT, "%n%d partitions, %d rounds (round 1 left out), 1 local step per round, "
                + "driver %s, maxResultSize %s; a 20-step unet-small round at batch 32: %.1f s at %.0f images/s per "
                + "core%n%n", partitions, rounds, DRIVER_MEMORY, MAX_RESULT_SIZE, unetSmallRound, unetSmallRate);
        printTable("| weights | reduction | slices | broadcast s | reduction s | overhead s | round s |"
                + " overhead / 20-step unet-small round |", rows);
    }

    /**
     * Runs {@link ReductionProbe} with {@code probeArgs} as an application on {@code cluster} (spark-submit with
     * {@code submitArgs}), its output to {@code log}; stops it after {@code minutes}. Returns its output lines.
     */
    static List<String> runProbe(LocalCluster cluster, Path log, long minutes, List<String> submitArgs,
                                 String... probeArgs) throws Exception {
        List<String> args = new ArrayList<>(submitArgs);
        args.addAll(List.of("--class", ReductionProbe.class.getName(), LocalCluster.testJar().toString()));
        args.addAll(List.of(probeArgs));
        Process p = cluster.sparkSubmit(log, args.toArray(String[]::new));
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        return Files.readAllLines(log);
    }

    /** A Markdown table: {@code header} ("| a | b |"), its separator row, then {@code rows}. */
    static void printTable(String header, List<String> rows) {
        System.out.println(header);
        System.out.println("|---".repeat((int) header.chars().filter(ch -> ch == '|').count() - 1) + "|");
        rows.forEach(System.out::println);
    }

    /** {@code 16000000:sgd,1600000:adam}: weights and optimizer per case. */
    private static List<Case> parseCases(String text) {
        List<Case> cases = new ArrayList<>();
        for (String c : text.split(",")) {
            String[] f = c.split(":");
            int n = Integer.parseInt(f[0]);
            cases.add(new Case(String.format(Locale.ROOT, "%.1f M, %s", n / 1e6, f[1]), n, f[1]));
        }
        return cases;
    }

        /** One table row from a run's output: means over the rounds after the first. */
    private static String row(Case c, String path, List<String> lines, double unetSmallRound) {
        String slices = "";
        double broadcast = 0;
        double reduction = 0;
        double total = 0;
        int n = 0;
        for (String line : lines) {
            if (line.startsWith("REFUSED ")) {
                return "| " + c.label() + " | " + path + " | | | | | | refused by the pre-flight check: "
                        + line.substring(8).replace("|", "/") + " |";
            }
            if (line.startsWith("PLAN ")) {
                slices = line.split(" ")[2];
            }
            if (line.startsWith("ROUND ")) {
                String[] f = line.split(" ");
                if (Integer.parseInt(f[1]) == 0) {
                    continue;
                }
                broadcast += Double.parseDouble(f[2]);
                reduction += Double.parseDouble(f[3]);
                total += Double.parseDouble(f[5]);
                n++;
            }
        }
        if (n == 0) {
            String last = lines.stream().filter(l -> l.contains("Exception") || l.contains("Error")).findFirst()
                    .orElse(lines.isEmpty() ? "no output" : lines.get(lines.size() - 1));
            return "| " + c.label() + " | " + path + " | | | | | | failed: " + last.replace("|", "/") + " |";
        }
        double overhead = (broadcast + reduction) / n;
        return String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.1f%% |", c.label(), path,
                path.equals("sliced") ? slices : "", broadcast / n, reduction / n, overhead, total / n,
                100 * overhead / (unetSmallRound + overhead));
    }
}
