package io.sparkdiffusion.cli;

import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts the SparkSession of a command: under {@code spark-submit} (which sets the system property
 * {@code spark.master}) everything comes from spark-submit; in the embedded run it is {@code local[*]} (or the
 * system property {@code sparkdiffusion.master}) with the settings of {@code conf/spark-defaults.conf} (or the
 * file named by the system property {@code sparkdiffusion.sparkDefaults}) applied here.
 */
public final class Sessions {
    public static final String DEFAULTS_PROPERTY = "sparkdiffusion.sparkDefaults";
    public static final String MASTER_PROPERTY = "sparkdiffusion.master";
    public static final String DEFAULTS_FILE = "conf/spark-defaults.conf";

    private Sessions() {
    }

    /** True when spark-submit launched this JVM. */
    public static boolean underSparkSubmit() {
        return System.getProperty("spark.master") != null;
    }

    /** The Spark defaults of an embedded run, or {@code null} when there is no file (and none was asked for). */
    static SparkDefaults embeddedDefaults() {
        String named = System.getProperty(DEFAULTS_PROPERTY);
        if (named != null) {
            return SparkDefaults.read(Path.of(named));
        }
        Path standard = Path.of(DEFAULTS_FILE);
        return Files.isRegularFile(standard) ? SparkDefaults.read(standard) : null;
    }

    /** Starts (or joins) the session for {@code appName}. */
    public static SparkSession start(String appName) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (!underSparkSubmit()) {
            builder.master(System.getProperty(MASTER_PROPERTY, "local[*]"));
            SparkDefaults defaults = embeddedDefaults();
            if (defaults != null) {
                for (Map.Entry<String, String> e : defaults.sessionSettings().entrySet()) {
                    builder.config(e.getKey(), e.getValue());
                }
                for (String note : defaults.embeddedNotes(System.getenv(), Runtime.getRuntime().maxMemory())) {
                    System.err.println("note: " + note);
                }
            }
        }
        return builder.getOrCreate();
    }
}
