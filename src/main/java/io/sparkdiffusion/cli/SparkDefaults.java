package io.sparkdiffusion.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A {@code spark-defaults.conf}: Spark configuration keys and values, one per line ({@code key value} or
 * {@code key=value}, {@code #} comments), parsed the way {@code spark-submit --properties-file} does (Java
 * {@link Properties}, values trimmed, keys not starting with {@code spark.} ignored with a warning).
 *
 * <p>In the embedded run (no spark-submit) the command line applies these to its SparkSession itself. Some
 * keys cannot take effect there and are reported instead: the driver's memory is the JVM's heap, fixed before
 * any code runs ({@code JAVA_OPTS=-Xmx...} in {@code submit.sh}); {@code spark.executorEnv.*} is the environment
 * of separate executor processes, and in {@code local[*]} the executors are this JVM, so {@code submit.sh}
 * exports those variables itself.
 */
public record SparkDefaults(Map<String, String> settings) {
    /** Keys that only a launcher can apply, before the driver JVM exists. */
    private static final java.util.Set<String> LAUNCH_ONLY = java.util.Set.of("spark.driver.memory",
            "spark.driver.extraJavaOptions", "spark.driver.extraClassPath", "spark.driver.extraLibraryPath");

    public SparkDefaults {
        settings = java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    /** Reads {@code file}; a missing file is an error naming it. */
    public static SparkDefaults read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UsageException("Spark defaults file " + file + " does not exist");
        }
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot read Spark defaults file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> settings = new TreeMap<>();
        for (String key : props.stringPropertyNames()) {
            if (!key.startsWith("spark.")) {
                System.err.println("warning: " + file + ": ignoring non-Spark property " + key);
                continue;
            }
            settings.put(key, props.getProperty(key).trim());
        }
        return new SparkDefaults(settings);
    }

    /** The settings a SparkSession builder can still apply in an already running JVM. */
    public Map<String, String> sessionSettings() {
        Map<String, String> out = new TreeMap<>(settings);
        out.keySet().removeIf(k -> LAUNCH_ONLY.contains(k) || k.startsWith("spark.executorEnv."));
        return out;
    }

    /** Bytes of a Spark memory size ({@code 512m}, {@code 6g}; no unit means MiB), or -1 if unreadable. */
    static long bytes(String size) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([kmgt]?)b?").matcher(size.trim().toLowerCase(java.util.Locale.ROOT));
        if (!m.matches()) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "k" -> n << 10;
            case "g" -> n << 30;
            case "t" -> n << 40;
            default -> n << 20;
        };
    }

    /**
     * The JVM options of {@code options} this JVM does not already run with. Two kinds can be checked from inside:
     * {@code --add-modules=M[,M...]} (every module in the boot layer) and HotSpot's {@code -XX:Name=value},
     * {@code -XX:+Name}, {@code -XX:-Name} (the option's current value); any other option counts as not in effect.
     */
    static java.util.List<String> optionsNotInEffect(String options) {
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (String option : options.trim().split("\\s+")) {
            if (option.isEmpty()) {
                continue;
            }
            boolean inEffect;
            if (option.startsWith("--add-modules=")) {
                inEffect = java.util.Arrays.stream(option.substring("--add-modules=".length()).split(","))
                        .allMatch(m -> ModuleLayer.boot().findModule(m).isPresent());
            } else if (option.startsWith("-XX:")) {
                inEffect = hotSpotOptionInEffect(option.substring("-XX:".length()));
            } else {
                inEffect = false;
            }
            if (!inEffect) {
                missing.add(option);
            }
        }
        return missing;
    }

    /**
     * True when this JVM's HotSpot option has the value {@code setting} gives it: {@code Name=value},
     * {@code +Name} or {@code -Name}.
     */
    private static boolean hotSpotOptionInEffect(String setting) {
        String name;
        String value;
        if (setting.startsWith("+") || setting.startsWith("-")) {
            name = setting.substring(1);
            value = setting.startsWith("+") ? "true" : "false";
        } else if (setting.contains("=")) {
            name = setting.substring(0, setting.indexOf('='));
            value = setting.substring(setting.indexOf('=') + 1);
        } else {
            return false;
        }
        return value.equals(io.sparkdiffusion.tensor.kernels.TrapLimit.vmOption(name));
    }

    /** One line per setting that has no effect in an embedded run, saying what does instead. */
    public java.util.List<String> embeddedNotes(Map<String, String> environment, long maxHeapBytes) {
        java.util.List<String> notes = new java.util.ArrayList<>();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String key = e.getKey();
            if (key.equals("spark.driver.memory")) {
                long asked = bytes(e.getValue());
                // The JVM reports a little less than -Xmx (one survivor space): only a real mismatch is news.
                if (asked < 0 || Math.abs(asked - maxHeapBytes) > asked / 8) {
                    notes.add(key + "=" + e.getValue() + " has no effect in the embedded run; the heap is "
                            + (maxHeapBytes >> 20) + " MiB, set with JAVA_OPTS=-Xmx... ./submit.sh ...");
                }
            } else if (key.equals("spark.driver.extraJavaOptions")) {
                java.util.List<String> missing = optionsNotInEffect(e.getValue());
                if (!missing.isEmpty()) {
                    notes.add(key + ": " + String.join(" ", missing) + " has no effect in the embedded run (it applies"
                            + " when spark-submit starts the driver); put it in JAVA_OPTS instead");
                }
            } else if (LAUNCH_ONLY.contains(key)) {
                notes.add(key + " has no effect in the embedded run (it applies when spark-submit starts the driver)");
            } else if (key.startsWith("spark.executorEnv.")) {
                String var = key.substring("spark.executorEnv.".length());
                String actual = environment.get(var);
                if (!e.getValue().equals(actual)) {
                    notes.add(key + "=" + e.getValue() + " but this JVM (the executor in local mode) has " + var + "="
                            + (actual == null ? "(unset)" : actual) + "; submit.sh exports it, or set it yourself");
                }
            }
        }
        return notes;
    }
}
