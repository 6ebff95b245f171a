package io.sparkdiffusion.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EngineBenchmarkTest {

    @Test
    void healthyStepsGetNoWarning() {
        // Healthy JVMs measured 0.6 to 1 MiB per step; the limit is 100.
        assertNull(EngineBenchmark.boxedWarning("a training step", 0.7));
        assertNull(EngineBenchmark.boxedWarning("a training step", 100));
    }

    @Test
    void boxedStepsAreNamedWithTheirAllocation() {
        // A boxed JVM allocated 29,000 to 144,000 MiB per unet-small step (session 27).
        String warning = EngineBenchmark.boxedWarning("a batch-256 forward", 29_500.4);
        assertTrue(warning.startsWith("bench: a batch-256 forward allocated 29500 MiB per step"), warning);
        assertTrue(warning.contains("boxed vectors") && warning.contains("run the benchmark again"), warning);
        assertNotNull(EngineBenchmark.boxedWarning("a training step", 100.5));
    }
}
