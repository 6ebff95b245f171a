package io.sparkdiffusion.spark;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;

/**
 * The one SparkSession all Spark tests share (starting one takes 15-25 s here). {@code local[2,4]}: two
 * threads, and up to 4 attempts per task, so retries behave as on a cluster. Stopped by the JVM shutdown hook
 * Spark installs.
 */
public abstract class SparkTestBase {
    private static SparkSession spark;

    /** Started before any test: ML writers and readers find the active session by themselves. */
    @BeforeAll
    static void startSpark() {
        spark();
    }

    protected static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder()
                    .master("local[2,4]")
                    .appName("spark-diffusion-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.default.parallelism", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.adaptive.enabled", "false")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
        }
        return spark;
    }
}
