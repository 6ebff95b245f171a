package io.sparkdiffusion.spark;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureSummaryTest {

    @Test
    void hashedPositionsPickAUniformSampleOfARowOrder() {
        // The 600 smallest keys of 3,000 rows in two partitions: each sixth of each partition (rows sorted by anything,
        // e.g. by randomSplit) should hold about 50 of them; binomial(600 * 1/12) has sd ~6.6, 4 sd is 26.
        int perPartition = 1500;
        Integer[] rows = IntStream.range(0, 2 * perPartition).boxed().toArray(Integer[]::new);
        Arrays.sort(rows, Comparator.comparingLong(r -> FeatureSummary.positionKey(r / perPartition, r % perPartition)));
        int[] perBin = new int[12];
        for (int i = 0; i < 600; i++) {
            perBin[rows[i] / 250]++;
        }
        for (int count : perBin) {
            assertTrue(Math.abs(count - 50) < 26, Arrays.toString(perBin));
        }
        assertEquals(600, Arrays.stream(perBin).sum());
    }
}
