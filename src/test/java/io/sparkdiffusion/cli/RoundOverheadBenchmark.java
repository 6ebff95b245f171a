package io.sparkdiffusion.cli;

import io.sparkdiffusion.spark.ReductionProbe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * {@code ./probe.sh rounds [ROUNDS=3] [LOCAL_STEPS=20] [BATCH=32] [CASES]}: the overhead of real training rounds on
 * the one-machine cluster ({@link LocalCluster}: 2 Workers of 1 core), where {@link ReductionBenchmark} times the
 * reduction alone on a trivial objective. Each case is {@code NETWORK:PARTITIONS:REDUCTION}
 * ({@code unet-small} trains 1 x 28 x 28 images, the main config's shape; any other preset 3 x 32 x 32), run as its
 * own application through spark-submit with {@code DiffusionTrainer} (Adam) on random images; default cases:
 * unet-small in 2 and 8 partitions, tree and sliced, and unet-ddpm-cifar in 2 partitions, tree and sliced.
 *
 * <p>A round's compute is its slowest partition's local steps, or, with more partitions than the cluster's 2 cores
 * (they queue), all partitions' local steps summed over the 2 cores if that is longer: the least the round could
 * take ({@link io.sparkdiffusion.train.RoundRecord#overheadFraction(int)}). The overhead is the round's wall time
 * minus that: the broadcast, the tasks' scheduling and result shipping, the reduction, and any imperfect packing
 * of the queued partitions onto the cores. Round 1 (executors starting, shards
 * cached, JIT) is left out of the means. Executors get {@code -Drounds.executorMemory} (default 8g; Workers are
 * given 1g more), the driver {@code -Drounds.driverMemory} (default 2g) with Spark's default maxResultSize.
 */
public final class RoundOverheadBenchmark {

    private record Case(String network, int partitions, String reduction) {
        int channels() {
            return network.equals("unet-small") ? 1 : 3;
        }

        int size() {
            return network.equals("unet-small") ? 28 : 32;
        }
    }

    private static final String EXECUTOR_MEMORY = System.getProperty("rounds.executorMemory", "8g");
    private static final String DRIVER_MEMORY = System.getProperty("rounds.driverMemory", "2g");

    private RoundOverheadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int localSteps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        List<Case> cases = parseCases(args.length > 3 ? args[3]
                : "unet-small:2:tree,unet-small:2:sliced,unet-small:8:tree,unet-small:8:sliced,"
                + "unet-ddpm-cifar:2:tree,unet-ddpm-cifar:2:sliced");
        if (rounds < 2) {
            throw new IllegalArgumentException("ROUNDS must be at least 2 (round 1 is left out of the means), got "
                    + rounds);
        }
        int executorGiB = Integer.parseInt(EXECUTOR_MEMORY.replaceAll("[gG]$", ""));
        System.setProperty("cluster.workerMemory", (executorGiB + 1) + "g");
        LocalCluster cluster = LocalCluster.shared();
        // A benchmark stopped early takes its running application (spark-submit and its driver) with it.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().descendants()
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(ReductionProbe.class.getName()))
                        .orElse(false))
                .forEach(ProcessHandle::destroy), "stop-benchmark-application"));
        Path dir = Files.createDirectories(Path.of("target/test-cluster/runs/" + UUID.randomUUID()));
        List<String> rows = new ArrayList<>();
        for (Case c : cases) {
            Path log = dir.resolve(c.network() + "-" + c.partitions() + "-" + c.reduction() + ".log");
            long t0 = System.nanoTime();
            List<String> output = ReductionBenchmark.runProbe(cluster, log, 90, List.of("--driver-memory",
                            DRIVER_MEMORY, "--executor-memory", EXECUTOR_MEMORY, "--conf",
                            "spark.executorEnv.OPENBLAS_NUM_THREADS=1"), "unet", c.network(),
                    String.valueOf(c.channels()), String.valueOf(c.size()), String.valueOf(c.partitions()),
                    String.valueOf(rounds), String.valueOf(localSteps), String.valueOf(batch), c.reduction());
            String row = row(c, output);
            System.out.printf(Locale.ROOT, "%s (%.0f s, log %s)%n", row, (System.nanoTime() - t0) / 1e9, log);
            rows.add(row);
        }
        System.out.printf(Locale.ROOT, "%n%d rounds (round 1 left out) of %d local steps at batch %d per partition, "
                + "2 Workers of 1 core, executors %s, driver %s, Spark's default maxResultSize%n%n", rounds, localSteps,
                batch, EXECUTOR_MEMORY, DRIVER_MEMORY);
        ReductionBenchmark.printTable("| network (weights) | partitions | reduction | round s | compute s "
                + "| broadcast s | overhead s | overhead % of the round |", rows);
    }

    /** {@code unet-small:8:sliced,...}. */
    private static List<Case> parseCases(String text) {
        List<Case> cases = new ArrayList<>();
        for (String c : text.split(",")) {
            String[] f = c.split(":");
            if (f.length != 3) {
                throw new IllegalArgumentException("a case is NETWORK:PARTITIONS:REDUCTION (e.g. unet-small:8:sliced),"
                        + " got '" + c + "'");
            }
            cases.add(new Case(f[0], Integer.parseInt(f[1]), f[2]));
        }
        return cases;
    }

    /** One table row from a run's output: means over the rounds after the first. */
    private static String row(Case c, List<String> lines) {
        String parameters = "";
        double total = 0;
        double compute = 0;
        double broadcast = 0;
        int n = 0;
        for (String line : lines) {
            if (line.startsWith("PARAMETERS ")) {
                parameters = String.format(Locale.ROOT, "%.1f M", Long.parseLong(line.substring(11).trim()) / 1e6);
            }
            if (line.startsWith("ROUND ")) {
                String[] f = line.split(" ");
                if (Integer.parseInt(f[1]) == 0) {
                    continue;
                }
                broadcast += Double.parseDouble(f[2]);
                compute += Math.max(Double.parseDouble(f[4]), Double.parseDouble(f[6]) / LocalCluster.WORKERS);
                total += Double.parseDouble(f[5]);
                n++;
            }
        }
        String head = "| " + c.network() + " (" + parameters + ") | " + c.partitions() + " | " + c.reduction() + " | ";
        if (n == 0) {
            String last = lines.stream().filter(l -> l.contains("Exception:") || l.contains("Error:")).findFirst()
                    .orElse(lines.isEmpty() ? "no output" : lines.get(lines.size() - 1));
            return head + "failed: " + last.replace("|", "/") + " | | | | |";
        }
        double overhead = (total - compute) / n;
        return String.format(Locale.ROOT, "%s%.2f | %.2f | %.3f | %.2f | %.1f%% |", head, total / n, compute / n,
                broadcast / n, overhead, 100 * overhead / (total / n));
    }
}
