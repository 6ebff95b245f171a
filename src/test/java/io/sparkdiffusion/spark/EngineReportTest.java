package io.sparkdiffusion.spark;

import io.sparkdiffusion.tensor.kernels.TrapLimit;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class EngineReportTest {
    private static final String NATIVE = "native:JNIBLAS (libblas.so.3)";

    private static EngineReport report(String executor, String blas, String conv) {
        return new EngineReport(executor, "10.0.0." + executor, blas, conv, "vector", TrapLimit.REQUIRED);
    }

    @Test
    void theMixGroupsExecutorsByEngine() {
        List<EngineReport> reports = List.of(report("1", NATIVE, "vector:16 lanes"), report("0", NATIVE, "vector:16 lanes"),
                report("2", NATIVE, "gemm"), report("1", NATIVE, "vector:16 lanes"));
        assertEquals("BLAS " + NATIVE + ", convolutions gemm, GroupNorm+SiLU vector: executor 2 (10.0.0.2); "
                + "BLAS " + NATIVE + ", convolutions vector:16 lanes, GroupNorm+SiLU vector: executor 0 (10.0.0.0), "
                + "executor 1 (10.0.0.1)", EngineReport.mix(reports));
    }

    @Test
    void theWarningNamesExactlyTheExecutorsOnASlowFallback() {
        assertNull(EngineReport.warning(List.of(report("0", NATIVE, "vector:16 lanes"))));
        String warning = EngineReport.warning(List.of(report("0", NATIVE, "vector:16 lanes"),
                report("3", NATIVE, "gemm"), report("5", "java:VectorBLAS", "vector:16 lanes")));
        assertEquals("executor 3 (10.0.0.3) run the slow fallback GEMM convolutions (start the executors with "
                + "--add-modules=jdk.incubator.vector: spark.executor.extraJavaOptions); executor 5 (10.0.0.5) run the "
                + "slow fallback pure-Java BLAS (install libopenblas0-pthread on the executor hosts). Every round waits "
                + "for its slowest partition.", warning);
    }

    @Test
    void vectorKernelsWithTheJdkDefaultTrapLimitAreNamed() {
        EngineReport atRisk = new EngineReport("4", "10.0.0.4", NATIVE, "vector:16 lanes", "vector", 100);
        EngineReport gemm = new EngineReport("6", "10.0.0.6", NATIVE, "gemm", "scalar", 100);
        EngineReport unknown = new EngineReport("7", "10.0.0.7", NATIVE, "vector:16 lanes", "vector", -1);
        assertNull(EngineReport.warning(List.of(unknown, report("0", NATIVE, "vector:16 lanes"))));
        assertEquals("executor 6 (10.0.0.6) run the slow fallback GEMM convolutions (start the executors with "
                + "--add-modules=jdk.incubator.vector: spark.executor.extraJavaOptions); executor 4 (10.0.0.4) run the "
                + "vector kernels with -XX:PerMethodTrapLimit=100, which the JIT may compile with boxed vectors, 3 to "
                + "10 times slower (start the executors with -XX:PerMethodTrapLimit=100000: "
                + "spark.executor.extraJavaOptions). Every round waits for its slowest partition.",
                EngineReport.warning(List.of(atRisk, gemm)));
    }
}
