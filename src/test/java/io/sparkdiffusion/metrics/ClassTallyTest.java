package io.sparkdiffusion.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassTallyTest {
    static final double EXACT = 0.0;

    @Test
    void countsOverallAndPerClassAcrossMergedPartitions() {
        // Class 0: 2 of 3 right; class 1: 1 of 1; class 2: none drawn. Overall 3 of 4.
        ClassTally a = new ClassTally(3).add(0, 0).add(0, 1);
        ClassTally b = new ClassTally(3).add(0, 0).add(1, 1);
        ClassTally t = new ClassTally(3).merge(a).merge(b);
        assertEquals(4, t.count());
        assertEquals(0.75, t.accuracy(), EXACT);
        double[] per = t.perClass();
        assertArrayEquals(new double[] {2.0 / 3, 1.0}, new double[] {per[0], per[1]}, EXACT);
        assertTrue(Double.isNaN(per[2]), "no sample drawn for class 2");
        assertEquals(3, t.count(0));
    }

    @Test
    void aLabelOutsideTheClassesIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClassTally(3).add(3, 0));
        assertEquals("label 3 is not a class: expected 0..2", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClassTally(3).merge(new ClassTally(2)));
    }
}
