package io.sparkdiffusion.spark;

import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.train.RoundRecord;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Check 6, a benchmark (not a test): trains {@code unet-small} on random 1 x 28 x 28 images with one partition per
 * core and prints images per second and the per-round time split. Round 0 (JIT warm-up, network construction) is
 * reported but left out of the totals.
 *
 * <pre>
 *   ./probe.sh throughput [master=local[2]] [rounds=4] [localSteps=20] [batchSize=32] [samples=0]
 * </pre>
 * (README, "Measurement probes").
 */
public final class TrainingThroughput {
    private TrainingThroughput() {
    }

    public static void main(String[] args) {
        String master = args.length > 0 ? args[0] : "local[2]";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int localSteps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int batchSize = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int numSamples = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        SparkSession spark = SparkSession.builder().master(master).appName("training-throughput")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        int cores = spark.sparkContext().defaultParallelism();
        int perPartition = 256;
        SplittableRandom r = new SplittableRandom(1);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < perPartition * cores; i++) {
            float[] img = new float[28 * 28];
            for (int j = 0; j < img.length; j++) {
                img[j] = (float) (2 * r.nextDouble() - 1);
            }
            rows.add(RowFactory.create(img, 0));
        }
        Dataset<Row> df = spark.createDataFrame(
                JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, cores), TinyData.SCHEMA);
        DiffusionTrainer trainer = new DiffusionTrainer().setImageChannels(1).setImageSize(28).setBatchSize(batchSize)
                .setLocalSteps(localSteps).setNumRounds(rounds + 1).setSeed(1)
                .setRoundListener((RoundRecord rec, int planned) -> System.out.printf(
                        "round %d/%d: %d images, loss %.4f, %.2f images/s, total %.2f s = broadcast %.3f s + compute %.2f s"
                                + " + aggregate %.3f s (overhead %.2f%%)%n",
                        rec.round() + 1, planned, rec.images(), rec.loss(), rec.imagesPerSecond(), rec.totalNanos() / 1e9,
                        rec.broadcastNanos() / 1e9, rec.computeNanos() / 1e9, rec.aggregateNanos() / 1e9,
                        100 * rec.overheadFraction()));
        System.out.printf("master %s, %d partitions, BLAS %s, unet-small %s%n", master, cores, Gemm.implementation(),
                trainer.networkConfig());
        DiffusionModel model = trainer.fit(df);
        List<RoundRecord> steady = model.summary().rounds().subList(1, rounds + 1);
        long images = steady.stream().mapToLong(RoundRecord::images).sum();
        long total = steady.stream().mapToLong(RoundRecord::totalNanos).sum();
        long compute = steady.stream().mapToLong(RoundRecord::computeNanos).sum();
        long broadcast = steady.stream().mapToLong(RoundRecord::broadcastNanos).sum();
        System.out.printf("RESULT master=%s partitions=%d batchSize=%d localSteps=%d images/s=%.2f overhead=%.2f%% "
                        + "(broadcast %.3f s, aggregate %.3f s, compute %.2f s over %d rounds)%n", master, cores,
                batchSize, localSteps, images / (total / 1e9), 100.0 * (total - compute) / total, broadcast / 1e9,
                (total - compute - broadcast) / 1e9, compute / 1e9, rounds);
        if (numSamples > 0) {
            Dataset<Row> seeds = spark.range(0, numSamples, 1, cores).withColumn("seed", org.apache.spark.sql.functions.col("id"));
            long s0 = System.nanoTime();
            long n = model.setNumSteps(18).transform(seeds).count();
            double secs = (System.nanoTime() - s0) / 1e9;
            System.out.printf("RESULT sampling master=%s heun 18 steps (35 network passes per sample): %d samples in %.1f s"
                    + " = %.2f samples/s%n", master, n, secs, n / secs);
        }
        spark.stop();
    }
}
