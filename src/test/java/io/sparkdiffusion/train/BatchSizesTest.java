package io.sparkdiffusion.train;

import io.sparkdiffusion.nn.optim.Optimizer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TrainingConfig's split of a global batch over the partitions, against hand-written splits. */
class BatchSizesTest {

    private static TrainingConfig config(int batchSize, int globalBatchSize) {
        return new TrainingConfig(batchSize, 20, 1e-3, 0, 1.0, Optimizer.parse("adam", 0.9, 0.999, 1e-8), 0, 0, true,
                1, OuterOptimizer.AVERAGE, globalBatchSize);
    }

    @Test
    void withoutAGlobalBatchEveryPartitionTakesBatchSize() {
        assertArrayEquals(new int[] {32, 32, 32}, config(32, 0).batchSizes(3));
        assertEquals(32, config(32, 0).forPartition(1, 3).batchSize());
        assertEquals("32 images on each of 3 partitions", config(32, 0).batchDescription(3));
    }

    @Test
    void aGlobalBatchIsSplitAsEvenlyAsItGoes() {
        assertArrayEquals(new int[] {8, 8, 8, 8, 8, 8, 8, 8}, config(32, 64).batchSizes(8));
        assertArrayEquals(new int[] {22, 21, 21}, config(32, 64).batchSizes(3));
        assertArrayEquals(new int[] {2, 2, 1, 1, 1}, config(32, 7).batchSizes(5));
        assertArrayEquals(new int[] {64}, config(32, 64).batchSizes(1));
        assertEquals(21, config(32, 64).forPartition(2, 3).batchSize());
        assertEquals(0, config(32, 64).forPartition(2, 3).globalBatchSize());
        assertEquals("22 images on each of the first 1 partitions and 21 on the other 2",
                config(32, 64).batchDescription(3));
    }

    @Test
    void aGlobalBatchBelowThePartitionCountIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(32, 4).batchSizes(8));
        assertTrue(e.getMessage().contains("globalBatchSize 4 is smaller than the 8 partitions"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> config(32, -1));
    }
}
