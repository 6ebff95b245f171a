package io.sparkdiffusion.spark;

import io.sparkdiffusion.spark.ReductionPlan.FitSize;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reduction's choice and the pre-flight estimates, against hand calculations and the sizes issue 13 observed. */
class PreflightTest {
    private static final long GIB = 1L << 30;
    /** unet-small with Adam (state 2 P), the DDPM CIFAR-10 shape with Adam, and 60 M weights with SGD (no state). */
    private static final FitSize SMALL = new FitSize(1_600_000, 3_200_000, 8, true);
    private static final FitSize CIFAR = new FitSize(35_700_000, 71_400_000, 8, true);
    private static final FitSize SGD_60M = new FitSize(60_000_000, 0, 8, true);
    private static final Preflight.Environment CLUSTER_2G = new Preflight.Environment(2 * GIB, 0);

    private static SparkConf conf(String... kv) {
        SparkConf c = new SparkConf(false);
        for (int i = 0; i < kv.length; i += 2) {
            c.set(kv[i], kv[i + 1]);
        }
        return c;
    }

    /**
     * Spark's treeAggregate at depth 2 keeps dividing by scale = ceil(sqrt(N)) while N > scale + N / scale:
     * 8 -> 2 (scale 3); 4 stays (2 + 2); 64 -> 8 (scale 8); at 65 depth 3, scale 5: 65 -> 13 -> 2.
     */
    @Test
    void theTreeLeavesTheDriverWhatSparkLeavesIt() {
        assertEquals(1, ReductionPlan.treeDriverResults(1));
        assertEquals(4, ReductionPlan.treeDriverResults(4));
        assertEquals(2, ReductionPlan.treeDriverResults(8));
        assertEquals(8, ReductionPlan.treeDriverResults(64));
        assertEquals(2, ReductionPlan.treeDriverResults(65));
    }

    /** Issue 13 saw "serialized results of 2 tasks (3.2 GiB)" for the CIFAR shape at 8 partitions: 2 x 16 x 107.1 M. */
    @Test
    void theTreeEstimateMatchesWhatSparkReportedForTheCifarShape() {
        assertEquals(3.2, ReductionPlan.treeDriverBytes(CIFAR) / (double) GIB, 0.05);
        assertEquals(4 * 4_800_000L, ReductionPlan.treeDriverBytes(new FitSize(1_600_000, 3_200_000, 1, true)),
                "one partition: its floats");
    }

    /**
     * unet-small in 2 partitions: the driver receives their floats, 2 x 4 x 4.8 M bytes (37 MiB), on the tree; in 8,
     * 2 partial sums of 16 x 4.8 M bytes (146 MiB, within 256 MiB) stay on the tree; in 16, 4 partial sums
     * (4 x 16 x 4.8 M = 307.2 MB, 293 MiB) go sliced, as does the CIFAR shape's 3.2 GiB.
     */
    @Test
    void autoKeepsTheTreeForSmallModelsAndSlicesLargeOnes() {
        FitSize small2 = new FitSize(1_600_000, 3_200_000, 2, true);
        assertEquals(Reduction.TREE, ReductionPlan.choose(Reduction.AUTO, small2, conf()).path());
        ReductionPlan small8 = ReductionPlan.choose(Reduction.AUTO, SMALL, conf());
        assertEquals(Reduction.TREE, small8.path());
        assertTrue(small8.reason().contains("2 partial sums, 146 MiB in all, within 256 MiB"), small8.reason());
        ReductionPlan small16 = ReductionPlan.choose(Reduction.AUTO, new FitSize(1_600_000, 3_200_000, 16, true),
                conf());
        assertEquals(Reduction.SLICED, small16.path());
        assertTrue(small16.reason().contains("4 partial sums, 293 MiB in all, more than 256 MiB"), small16.reason());
        ReductionPlan cifar = ReductionPlan.choose(Reduction.AUTO, CIFAR, conf());
        assertEquals(Reduction.SLICED, cifar.path());
        assertTrue(cifar.reason().contains("more than half of spark.driver.maxResultSize"), cifar.reason());
        assertEquals(Reduction.TREE, ReductionPlan.choose(Reduction.AUTO, new FitSize(60_000_000, 0, 1, true), conf()).path(),
                "one partition");
        assertEquals(Reduction.SLICED, ReductionPlan.choose(Reduction.AUTO, small2, conf(ReductionPlan.MAX_RESULT_SIZE, "64m"))
                .path(), "37 MiB is more than half of 64m");
    }

    /**
     * 60 M floats at 8 partitions: slices of 2 Mi floats (8 MiB pieces; 8 x 8 MiB per reducer, under 256 MiB), so
     * ceil(60 M / 2,097,152) = 29 slices of ceil(240 MB / 29) = 8,275,863 bytes; jobs of floor(128 MiB / that) = 16 slices.
     */
    @Test
    void slicesAreAFewMiBAndJobsStayUnderTheLimit() {
        ReductionPlan p = ReductionPlan.choose(Reduction.AUTO, SGD_60M, conf());
        assertEquals(Reduction.SLICED, p.path());
        assertEquals(29, p.slices());
        assertEquals(16, p.slicesPerJob());
        assertEquals(240_000_000L, p.driverBytesPerRound());
        assertEquals(16 * 8_275_863L, p.driverBytesPerJob());
        // 512 partitions: reducers would hold 512 pieces, so the slices shrink to 256 MiB / (4 x 512) = 128 Ki floats.
        ReductionPlan many = ReductionPlan.choose(Reduction.SLICED, new FitSize(60_000_000, 0, 512, true), conf());
        assertEquals((60_000_000 + 131_071) / 131_072, many.slices());
        // A small maxResultSize: jobs of at most half of it.
        ReductionPlan small = ReductionPlan.choose(Reduction.SLICED, SGD_60M, conf(ReductionPlan.MAX_RESULT_SIZE, "1m"));
        assertTrue(small.driverBytesPerJob() <= 512 * 1024, small.toString());
    }

    /** Forced onto the tree, unet-small sends 153.6 MB per round: with 100m the fit stops and says what would do. */
    @Test
    void aSmallMaxResultSizeFailsNamingTheSettingAndAValueThatWorks() {
        SparkConf c = conf(ReductionPlan.MAX_RESULT_SIZE, "100m");
        var e = assertThrows(IllegalArgumentException.class, () -> Preflight.check(Reduction.TREE, SMALL, 784, c, CLUSTER_2G));
        // 153,600,000 x 1.05 + 64 KiB = 161,345,536 bytes: 154 MiB rounded up.
        assertTrue(e.getMessage().startsWith("spark.driver.maxResultSize is 100 MiB, but with reduction=tree"), e.getMessage());
        assertTrue(e.getMessage().contains("set spark.driver.maxResultSize to 154m or more, or set reduction to sliced"),
                e.getMessage());
        assertEquals(Reduction.SLICED, Preflight.check(Reduction.AUTO, SMALL, 784, c, CLUSTER_2G).path());
        var d = assertThrows(IllegalArgumentException.class, () -> Preflight.check(Reduction.TREE, CIFAR, 784, conf(),
                new Preflight.Environment(18 * GIB, 8)));
        assertTrue(d.getMessage().contains("(Spark's default)"), d.getMessage());
    }

    /** Own Adam states of 60 M weights, 480 MB, ride in every task: more than 128 MiB messages carry. */
    @Test
    void ownStatesLargerThanAnRpcMessageFail() {
        FitSize own = new FitSize(60_000_000, 120_000_000, 8, false);
        var e = assertThrows(IllegalArgumentException.class, () -> Preflight.check(Reduction.SLICED, own, 784,
                conf(ReductionPlan.MAX_RESULT_SIZE, "0"), new Preflight.Environment(64 * GIB, 0)));
        // 480,000,000 x 1.05 + 1 MiB = 505,048,576 bytes: 482 MiB rounded up.
        assertTrue(e.getMessage().startsWith("spark.rpc.message.maxSize is 128 (MiB) (Spark's default)"), e.getMessage());
        assertTrue(e.getMessage().contains("set spark.rpc.message.maxSize to 482 or more"), e.getMessage());
    }

    /**
     * The embedded run: the CIFAR shape on a 6g heap and local threads. Tree: the running double sum and a
     * partial of 1.7 GB each, more than the heap holds; sliced: about 5.2 GB with the tasks, which fits.
     */
    @Test
    void theDriversHeapIsChecked() {
        SparkConf unlimited = conf(ReductionPlan.MAX_RESULT_SIZE, "0", Preflight.EXECUTOR_MEMORY, "8g");
        Preflight.Environment embedded = new Preflight.Environment(6 * GIB, 2);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Preflight.check(Reduction.TREE, CIFAR, 784, unlimited, embedded));
        assertTrue(e.getMessage().startsWith("the driver's heap is 6144 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("-Xmx"), e.getMessage());
        Preflight.check(Reduction.AUTO, CIFAR, 784, unlimited, embedded);
        var c = assertThrows(IllegalArgumentException.class, () -> Preflight.check(Reduction.AUTO, SGD_60M, 784,
                conf(Preflight.EXECUTOR_MEMORY, "3g"), new Preflight.Environment(GIB, 0)));
        assertTrue(c.getMessage().contains("set spark.driver.memory to"), c.getMessage());
        // Seen in the benchmark (docs/scaling.md): 16 M weights with SGD in 8 partitions on the tree ran a 2g driver
        // out of heap in Spark's task-result getter (2 partial sums of 256 MB arriving); the check refuses it.
        FitSize sgd16 = new FitSize(16_000_000, 0, 8, true);
        var oom = assertThrows(IllegalArgumentException.class, () -> Preflight.check(Reduction.TREE, sgd16, 784,
                conf(Preflight.EXECUTOR_MEMORY, "2g"), CLUSTER_2G));
        assertTrue(oom.getMessage().startsWith("the driver's heap (spark.driver.memory) is 2048 MiB"), oom.getMessage());
        Preflight.check(Reduction.SLICED, sgd16, 784, conf(Preflight.EXECUTOR_MEMORY, "2g"), CLUSTER_2G);
    }

    /** 60 M weights: an executor holds the broadcast twice (480 MB) and a task's weights and gradients (480 MB). */
    @Test
    void theExecutorsHeapIsChecked() {
        var e = assertThrows(IllegalArgumentException.class, () -> Preflight.check(Reduction.AUTO, SGD_60M, 784, conf(),
                CLUSTER_2G));
        assertTrue(e.getMessage().startsWith("spark.executor.memory is 1024 MiB (Spark's default)"), e.getMessage());
        Preflight.check(Reduction.AUTO, SGD_60M, 784, conf(Preflight.EXECUTOR_MEMORY, "2500m"), CLUSTER_2G);
    }

    @Test
    void localMastersRunTheirThreadsInTheDriver() {
        assertEquals(1, Preflight.localTaskSlots("local"));
        assertEquals(3, Preflight.localTaskSlots("local[3]"));
        assertEquals(2, Preflight.localTaskSlots("local[2,4]"));
        assertEquals(Runtime.getRuntime().availableProcessors(), Preflight.localTaskSlots("local[*]"));
        assertEquals(0, Preflight.localTaskSlots("spark://127.0.0.1:7077"));
    }
}
