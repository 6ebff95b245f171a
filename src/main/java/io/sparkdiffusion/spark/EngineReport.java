package io.sparkdiffusion.spark;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.tensor.kernels.Conv2d;
import io.sparkdiffusion.tensor.kernels.GroupNormSilu;
import io.sparkdiffusion.tensor.kernels.TrapLimit;
import org.apache.spark.SparkEnv;

import java.io.Serializable;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What computed a task: which executor, and the engine it ran (BLAS, stride-1 convolutions, fused
 * GroupNorm+SiLU), as each executor chose it at class loading. Tasks send one back with their result (an
 * accumulator); the driver logs the mix of a fit once and warns, naming them, about executors on a slow fallback:
 * the pure-Java BLAS (about ten times slower than OpenBLAS) or the GEMM convolutions of a JVM without
 * {@code --add-modules=jdk.incubator.vector}. One such straggler slows every round, since a round waits for its
 * slowest partition.
 *
 * @param executor      the executor id ({@code driver} in local mode)
 * @param host          the executor's host
 * @param blas          {@link Gemm#implementation()}, e.g. {@code native:JNIBLAS (libblas.so.3)} or {@code java:VectorBLAS}
 * @param conv          {@link Conv2d#stride1Implementation()}: {@code vector:N lanes} or {@code gemm}
 * @param groupNormSilu {@link GroupNormSilu#implementation()}
 * @param trapLimit     the JVM's {@code PerMethodTrapLimit} ({@link TrapLimit#current()}; -1 when it does not say)
 */
@DefaultSerializer(JavaSerializer.class) // Kryo (spark.serializer) cannot fill a record field by field
public record EngineReport(String executor, String host, String blas, String conv, String groupNormSilu,
                           long trapLimit)
        implements Serializable {

    /** The report of the executor this runs in. */
    public static EngineReport current() {
        SparkEnv env = SparkEnv.get();
        String executor = env == null ? "?" : env.executorId();
        String host = env == null ? "?" : env.blockManager().blockManagerId().host();
        return new EngineReport(executor, host, Gemm.implementation(), Conv2d.stride1Implementation(),
                GroupNormSilu.implementation(), TrapLimit.current());
    }

    /** The engine, without the executor: what executors have in common. */
    public String engine() {
        return "BLAS " + blas + ", convolutions " + conv + ", GroupNorm+SiLU " + groupNormSilu;
    }

    /**
     * Why this executor is or may be slow, or null: pure-Java BLAS, GEMM convolutions for want of the Vector API,
     * or vector kernels in a JVM without the JIT option they need ({@link TrapLimit}).
     */
    public String slowFallback() {
        if (blas.startsWith("java:")) {
            return "the slow fallback pure-Java BLAS (install libopenblas0-pthread on the executor hosts)";
        }
        if (conv.equals("gemm")) {
            return "the slow fallback GEMM convolutions (start the executors with --add-modules=jdk.incubator.vector: "
                    + "spark.executor.extraJavaOptions)";
        }
        if (conv.startsWith("vector") && TrapLimit.warning(trapLimit) != null) {
            return "the vector kernels with -XX:PerMethodTrapLimit=" + trapLimit + ", which the JIT may compile with "
                    + "boxed vectors, 3 to 10 times slower (start the executors with " + TrapLimit.OPTION
                    + ": spark.executor.extraJavaOptions)";
        }
        return null;
    }

    /** One line: each engine with the executors that run it, e.g. {@code BLAS native:..., ...: executors 0, 1}. */
    public static String mix(Collection<EngineReport> reports) {
        Map<String, TreeSet<String>> byEngine = new TreeMap<>();
        for (EngineReport r : reports) {
            byEngine.computeIfAbsent(r.engine(), k -> new TreeSet<>()).add(r.name());
        }
        return byEngine.entrySet().stream().map(e -> e.getKey() + ": " + String.join(", ", e.getValue()))
                .collect(Collectors.joining("; "));
    }

    /** The warning about executors on a slow fallback, naming them, or null when there are none. */
    public static String warning(Collection<EngineReport> reports) {
        Map<String, TreeSet<String>> slow = new TreeMap<>();
        for (EngineReport r : reports) {
            String why = r.slowFallback();
            if (why != null) {
                slow.computeIfAbsent(why, k -> new TreeSet<>()).add(r.name());
            }
        }
        if (slow.isEmpty()) {
            return null;
        }
        List<String> parts = slow.entrySet().stream()
                .map(e -> String.join(", ", e.getValue()) + " run " + e.getKey()).toList();
        return String.join("; ", parts) + ". Every round waits for its slowest partition.";
    }

    private String name() {
        return "executor " + executor + " (" + host + ")";
    }
}
