package io.sparkdiffusion.tensor.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrapLimitTest {
    @Test
    void theJdkDefaultIsNamedWithTheOptionThatFixesIt() {
        String warning = TrapLimit.warning(100);
        assertNotNull(warning);
        assertTrue(warning.startsWith("this JVM runs the Vector API kernels with -XX:PerMethodTrapLimit=100 "),
                warning);
        assertTrue(warning.contains("start it with -XX:PerMethodTrapLimit=100000 ")
                && warning.contains("spark.executor.extraJavaOptions"), warning);
        assertNotNull(TrapLimit.warning(99_999));
    }

    @Test
    void enoughOrUnknownGivesNoWarning() {
        assertNull(TrapLimit.warning(100_000));
        assertNull(TrapLimit.warning(1_000_000));
        assertNull(TrapLimit.warning(-1));
    }

    @Test
    void theBuildsTestJvmRunsWithTheOption() {
        // The pom's jdk17.opens (surefire's argLine, probe.sh, submit.sh's embedded run) carries the option.
        assertEquals(TrapLimit.REQUIRED, TrapLimit.current());
    }
}
