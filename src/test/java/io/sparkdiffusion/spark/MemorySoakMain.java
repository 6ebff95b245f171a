package io.sparkdiffusion.spark;

import io.sparkdiffusion.io.Idx;
import io.sparkdiffusion.io.IdxArray;
import io.sparkdiffusion.train.RoundRecord;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Point 7 of the fault issue, as a measurement rather than a unit test (it runs for many minutes): trains the
 * quick config ({@code conf/quick.json}: unet-small on 2,000 Fashion-MNIST images, batch 16, 10 local steps per
 * round, 2 partitions) for {@code rounds} rounds in local mode, where driver and executors share one heap, and
 * after chosen rounds prints the heap in use after {@code System.gc()} and the broadcast blocks the block
 * manager still holds.
 *
 * <p>Run: {@code ./probe.sh soak [ROUNDS [LOCAL_STEPS [BATCH_SIZE]]]} (defaults 200, 10, 16: the quick config;
 * heap -Xmx2g unless JAVA_OPTS says otherwise; README, "Measurement probes"). What could accumulate does so per round (broadcasts, round records, cached blocks), not per step, so
 * fewer, smaller local steps measure the same thing in far less time. A flat heap and a broadcast count that
 * does not grow mean nothing accumulates per round.
 */
public final class MemorySoakMain {
    private static final Set<Integer> REPORT = Set.of(1, 2, 5, 10, 20, 50, 100, 150, 200, 300, 400, 500);

    private MemorySoakMain() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int localSteps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int batchSize = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int images = 2000;
        SparkSession spark = SparkSession.builder().master("local[2]").appName("memory-soak")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        IdxArray pixels = Idx.read(Path.of("data/fashion-mnist/train-images-idx3-ubyte.gz")).head(images);
        IdxArray labels = Idx.read(Path.of("data/fashion-mnist/train-labels-idx1-ubyte.gz")).head(images);
        int dim = 28 * 28;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            float[] img = new float[dim];
            for (int k = 0; k < dim; k++) {
                img[k] = (pixels.data()[i * dim + k] & 0xFF) / 127.5f - 1f;
            }
            rows.add(RowFactory.create(img, labels.label(i)));
        }
        StructType schema = new StructType().add("tensor", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("label", DataTypes.IntegerType);
        Dataset<Row> df = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(rows, 2), schema);
        rows = null;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long t0 = System.nanoTime();
        DiffusionTrainer trainer = new DiffusionTrainer().setParameterization("edm").setNetwork("unet-small")
                .setImageChannels(1).setImageSize(28).setNumClasses(10).setLabelCol("label").setLabelDropout(0.1)
                .setBatchSize(batchSize).setLocalSteps(localSteps).setNumRounds(rounds).setLearningRate(0.002).setSeed(1)
                .setRoundListener((RoundRecord r, int planned) -> {
                    int done = r.round() + 1;
                    if (REPORT.contains(done) || done == planned) {
                        System.gc();
                        System.gc();
                        long heap = memory.getHeapMemoryUsage().getUsed();
                        int broadcasts = SparkEnv.get().blockManager()
                                .getMatchingBlockIds(id -> id.isBroadcast()).size();
                        System.out.printf(Locale.ROOT, "SOAK round %d/%d heapUsedAfterGc=%.1f MiB broadcastBlocks=%d "
                                        + "loss=%.4f elapsed=%.0f s%n", done, planned, heap / 1048576.0, broadcasts,
                                r.loss(), (System.nanoTime() - t0) / 1e9);
                    }
                });
        DiffusionModel model = trainer.fit(df);
        System.out.printf(Locale.ROOT, "SOAK done: %d rounds, final loss %.4f%n", rounds,
                model.summary().rounds().get(rounds - 1).loss());
        spark.stop();
    }
}
