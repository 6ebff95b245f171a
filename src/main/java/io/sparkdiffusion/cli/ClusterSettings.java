package io.sparkdiffusion.cli;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a command needs to know about where it runs, read the way the job will read it:
 * <ul>
 *   <li>the Hadoop configuration of the checks made before Spark starts, with the {@code spark.hadoop.*}
 *       settings of spark-submit (system properties) or of the embedded run's defaults file applied, as Spark
 *       applies them to the job's own;</li>
 *   <li>the default number of partitions, counted after the cluster's executors have registered: right after
 *       start, a cluster's default parallelism counts only the executors already up (often none: then 2).</li>
 * </ul>
 */
final class ClusterSettings {
    static final String HADOOP_PREFIX = "spark.hadoop.";
    /** Executors registering closer together than this are one wave of the same request. */
    static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long POLL_MILLIS = 200;

    private ClusterSettings() {
    }

    /**
     * A Hadoop configuration with the {@code spark.hadoop.*} settings of {@code spark} applied (the prefix
     * removed), as the job's {@code hadoopConfiguration()} will have them.
     */
    static Configuration hadoopConfiguration(Map<String, String> spark) {
        Configuration conf = new Configuration();
        for (Map.Entry<String, String> e : spark.entrySet()) {
            if (e.getKey().startsWith(HADOOP_PREFIX)) {
                conf.set(e.getKey().substring(HADOOP_PREFIX.length()), e.getValue(), "spark-diffusion: " + e.getKey());
            }
        }
        return conf;
    }

    /** The Hadoop configuration the job of this JVM will have: spark-submit's settings, or the defaults file's. */
    static Configuration hadoopConfiguration() {
        if (Sessions.underSparkSubmit()) {
            SparkConf conf = new SparkConf(); // spark-submit passes its settings as system properties
            Map<String, String> settings = new java.util.TreeMap<>();
            for (var kv : conf.getAll()) {
                settings.put(kv._1(), kv._2());
            }
            return hadoopConfiguration(settings);
        }
        SparkDefaults defaults = Sessions.embeddedDefaults();
        return hadoopConfiguration(defaults == null ? Map.of() : defaults.settings());
    }

    /**
     * The cores a cluster application asked for: {@code spark.cores.max} (standalone), else
     * {@code spark.executor.instances x spark.executor.cores} (YARN, Kubernetes), else 0 (unknown).
     */
    static int expectedCores(SparkConf conf) {
        if (conf.contains("spark.cores.max")) {
            return conf.getInt("spark.cores.max", 0);
        }
        if (conf.contains("spark.executor.instances") && !conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            return conf.getInt("spark.executor.instances", 0) * conf.getInt("spark.executor.cores", 1);
        }
        return 0;
    }

    /**
     * Spark's default parallelism once the executors are up: in local mode, or with
     * {@code spark.default.parallelism} set, at once; on a cluster after the requested cores have registered
     * ({@link #expectedCores}), or when that is unknown, after the first executors and {@link #STABLE_NANOS}
     * without another; at most {@code spark.scheduler.maxRegisteredResourcesWaitingTime} (30 s).
     */
    static int defaultPartitions(SparkContext sc) {
        SparkConf conf = sc.getConf();
        if (sc.isLocal() || conf.contains("spark.default.parallelism")) {
            return sc.defaultParallelism();
        }
        int expected = expectedCores(conf);
        long now = System.nanoTime();
        long deadline = now + TimeUnit.MILLISECONDS.toNanos(
                conf.getTimeAsMs("spark.scheduler.maxRegisteredResourcesWaitingTime", "30s"));
        int seen = -1;
        long since = now;
        while (now < deadline) {
            int executors = sc.statusTracker().getExecutorInfos().length - 1; // without the driver
            if (executors != seen) {
                seen = executors;
                since = now;
            }
            boolean ready = expected > 0 ? sc.defaultParallelism() >= expected
                    : executors > 0 && now - since >= STABLE_NANOS;
            if (ready) {
                break;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            now = System.nanoTime();
        }
        return sc.defaultParallelism();
    }
}
