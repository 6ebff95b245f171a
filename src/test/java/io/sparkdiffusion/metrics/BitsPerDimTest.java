package io.sparkdiffusion.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BitsPerDimTest {
    private static final double EXACT = 1e-12;

    @Test
    void meanAndStandardErrorByHand() {
        // 1, 2, 3, 4: mean 2.5, unbiased variance (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5 / 3, standard error
        // sqrt(5 / 12) = 0.6454972243679028.
        BitsPerDim.Tally t = new BitsPerDim.Tally().add(1).add(2).add(3).add(4);
        assertEquals(4, t.count());
        assertEquals(2.5, t.mean(), EXACT);
        assertEquals(0.6454972243679028, t.standardError(), EXACT);
        BitsPerDim.Tally merged = new BitsPerDim.Tally().add(3).add(1).merge(new BitsPerDim.Tally().add(4).add(2));
        assertEquals(t.mean(), merged.mean(), EXACT);
        assertEquals(t.standardError(), merged.standardError(), EXACT);
        assertTrue(Double.isNaN(new BitsPerDim.Tally().add(1).standardError()), "one value has no standard error");
    }

    @Test
    void jsonAndTableNameTheSetting() {
        BitsPerDim b = new BitsPerDim(64, 3.25, 0.125, 100, 0.002, 80, true);
        assertEquals("{\"bpdImages\": 64, \"bpd\": 3.25000, \"bpdStandardError\": 0.125000, \"bpdSteps\": 100, "
                + "\"bpdSigmaMin\": 0.00200000, \"bpdSigmaMax\": 80.0000, \"bpdConditional\": true}", b.toJson());
        assertTrue(b.toTable().startsWith("bpd                   3.250   (+- 0.125 standard error over 64 real images;"),
                b.toTable());
    }
}
