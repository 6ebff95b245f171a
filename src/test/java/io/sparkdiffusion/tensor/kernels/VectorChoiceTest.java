package io.sparkdiffusion.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VectorChoiceTest {
    /** A property of this test's own, so the engines the kernels already chose are not involved. */
    private static final String PROPERTY = "sparkdiffusion.test.vectorChoice";

    @AfterEach
    void clear() {
        System.clearProperty(PROPERTY);
    }

    private static boolean choose() {
        return VectorChoice.useVector(PROPERTY, "test kernels", "plain", "plain loops");
    }

    @Test
    void theFallbackNamePicksTheFallback() {
        System.setProperty(PROPERTY, " Plain ");
        assertFalse(choose());
    }

    @Test
    void vectorAndAutoTakeTheVectorKernelsWhenTheModuleIsLoaded() {
        // The build's test JVM runs with --add-modules=jdk.incubator.vector (the pom's jdk17.opens).
        assumeTrue(VectorChoice.moduleLoaded(), "jdk.incubator.vector not loaded in this JVM");
        System.setProperty(PROPERTY, "vector");
        assertTrue(choose());
        System.clearProperty(PROPERTY);
        assertEquals(VectorConv.LANES >= 8, choose(), "auto with " + VectorConv.LANES + " lanes");
    }

    @Test
    void anUnknownValueNamesTheChoices() {
        System.setProperty(PROPERTY, "fast");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, VectorChoiceTest::choose);
        assertEquals(PROPERTY + " must be one of auto, vector, plain; got 'fast'", e.getMessage());
    }
}
