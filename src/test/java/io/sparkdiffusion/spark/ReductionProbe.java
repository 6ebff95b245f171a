package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.optim.Optimizer;
import io.sparkdiffusion.train.DivergencePolicy;
import io.sparkdiffusion.train.RoundRecord;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.TrainingConfig;
import io.sparkdiffusion.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A Spark application (run through spark-submit; the test jar must hold this class) that trains the
 * {@link QuadraticObjective} of any size, for the large-model cluster test and the reduction benchmark:
 * <pre>
 *   check OUT NUM_PARAMETERS PARTITIONS ROUNDS LOCAL_STEPS
 *       a fault-free run and a run whose partition 3 fails in the first attempt of every round, both with the
 *       reduction auto chooses; writes OUT/clean.bin and OUT/retried.bin (the weights, float32 little-endian) and
 *       OUT/summary.txt (the plan, the images per partition and round)
 *   bench NUM_PARAMETERS PARTITIONS ROUNDS LOCAL_STEPS REDUCTION OPTIMIZER
 *       one run (OPTIMIZER sgd, or adam: a state of 2 floats per weight that the reduction moves too); prints "ROUND r broadcast aggregate compute total" (seconds) per round, or "REFUSED message"
 *       when the pre-flight check refuses the fit
 *   unet NETWORK CHANNELS SIZE PARTITIONS ROUNDS LOCAL_STEPS BATCH REDUCTION
 *       a real round: {@link DiffusionTrainer} with the preset NETWORK (Adam, its defaults otherwise) on random
 *       CHANNELS x SIZE x SIZE images, 4 batches of them per partition; prints "PARAMETERS n" and the ROUND lines
 * </pre>
 * Partition {@code p} holds {@code p + 1} one-pixel images of value {@code p / 2 - 1}; batches of 4, SGD at rate
 * 0.5 (check) or the given optimizer (bench), no clipping, no warm-up, no EMA.
 */
public final class ReductionProbe {
    static final int BATCH = 4;
    static final double LEARNING_RATE = 0.5;

    private ReductionProbe() {
    }

    /** The pixel value of partition {@code p}'s images (exact in float). */
    public static double pixel(int p) {
        return p / 2.0 - 1;
    }

    /** The images partition {@code p} trains on per round. */
    public static long imagesPerRound(int p, int localSteps) {
        return (long) localSteps * Math.min(BATCH, p + 1);
    }

    public static void main(String[] args) throws IOException {
        String mode = args[0];
        SparkSession spark = SparkSession.builder().appName("spark-diffusion reduction probe " + mode).getOrCreate();
        try {
            if (mode.equals("check")) {
                check(spark, Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                        Integer.parseInt(args[4]), Integer.parseInt(args[5]));
            } else if (mode.equals("bench")) {
                Optimizer optimizer = switch (args[6]) {
                    case "sgd" -> new Optimizer.Sgd();
                    case "adam" -> new Optimizer.Adam(0.9, 0.999, 1e-8);
                    default -> throw new IllegalArgumentException("optimizer must be sgd or adam, got " + args[6]);
                };
                bench(spark, Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                        Integer.parseInt(args[4]), Reduction.parse(args[5]), optimizer);
            } else if (mode.equals("unet")) {
                unet(spark, args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                        Integer.parseInt(args[5]), Integer.parseInt(args[6]), Integer.parseInt(args[7]), args[8]);
            } else {
                throw new IllegalArgumentException("mode must be check, bench or unet, got '" + mode + "'");
            }
        } finally {
            spark.stop();
        }
    }

    private static JavaRDD<Shard> shards(SparkSession spark, int partitions) {
        List<Shard> parts = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            float[] images = new float[p + 1];
            Arrays.fill(images, (float) pixel(p));
            parts.add(new Shard(images, null, 1));
        }
        return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(parts, partitions).cache();
    }

    private static TrainingConfig config(int localSteps, Optimizer optimizer) {
        return new TrainingConfig(BATCH, localSteps, LEARNING_RATE, 0, 0, optimizer, 0, 0, true, 1);
    }

    private static ReductionPlan plan(SparkSession spark, Reduction reduction, int numParameters, int partitions,
                                      Optimizer optimizer) {
        var sc = spark.sparkContext();
        return Preflight.check(reduction, new ReductionPlan.FitSize(numParameters, optimizer.stateSize(numParameters),
                partitions, true), 1, sc.getConf(), Preflight.Environment.of(sc.master()));
    }

    private static DistributedTraining.Result run(JavaRDD<Shard> shards, QuadraticObjective objective,
                                                  TrainingConfig config, int rounds, ReductionPlan plan) {
        return DistributedTraining.run(shards, objective, config, TrainingState.initial(objective, config), rounds,
                (r, planned) -> System.out.println(line(r)), null, DivergencePolicy.STOP, "reduction-probe", plan);
    }

    private static void check(SparkSession spark, Path out, int numParameters, int partitions, int rounds,
                              int localSteps) throws IOException {
        Files.createDirectories(out);
        JavaRDD<Shard> shards = shards(spark, partitions);
        TrainingConfig config = config(localSteps, new Optimizer.Sgd());
        ReductionPlan plan = plan(spark, Reduction.AUTO, numParameters, partitions, config.optimizer());
        StringBuilder summary = new StringBuilder("reduction " + plan.path().settingName() + " slices " + plan.slices()
                + " because " + plan.reason() + "\n");
        for (int p = 0; p < partitions; p++) {
            summary.append("partition ").append(p).append(" pixel ").append(pixel(p)).append(" images ")
                    .append(imagesPerRound(p, localSteps)).append('\n');
        }
        Files.writeString(out.resolve("summary.txt"), summary);
        write(out.resolve("clean.bin"), run(shards, new QuadraticObjective(numParameters, -1), config, rounds, plan)
                .state().params());
        write(out.resolve("retried.bin"), run(shards, new QuadraticObjective(numParameters, 3), config, rounds, plan)
                .state().params());
    }

    private static void bench(SparkSession spark, int numParameters, int partitions, int rounds, int localSteps,
                              Reduction reduction, Optimizer optimizer) {
        ReductionPlan plan;
        try {
            plan = plan(spark, reduction, numParameters, partitions, optimizer);
        } catch (IllegalArgumentException e) {
            System.out.println("REFUSED " + e.getMessage());
            return;
        }
        System.out.println("PLAN " + plan.path().settingName() + " " + plan.slices() + " " + plan.reason());
        run(shards(spark, partitions), new QuadraticObjective(numParameters, -1), config(localSteps, optimizer), rounds,
                plan);
    }

    private static void unet(SparkSession spark, String network, int channels, int size, int partitions, int rounds,
                             int localSteps, int batch, String reduction) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        List<org.apache.spark.sql.Row> rows = new ArrayList<>();
        for (int i = 0; i < 4 * batch * partitions; i++) {
            float[] img = new float[channels * size * size];
            for (int j = 0; j < img.length; j++) {
                img[j] = (float) (2 * r.nextDouble() - 1);
            }
            rows.add(org.apache.spark.sql.RowFactory.create(img, 0));
        }
        var schema = new org.apache.spark.sql.types.StructType()
                .add("tensor", org.apache.spark.sql.types.DataTypes.createArrayType(
                        org.apache.spark.sql.types.DataTypes.FloatType, false))
                .add("label", org.apache.spark.sql.types.DataTypes.IntegerType);
        var df = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(rows, partitions), schema);
        DiffusionTrainer trainer = new DiffusionTrainer().setNetwork(network).setImageChannels(channels)
                .setImageSize(size).setBatchSize(batch).setLocalSteps(localSteps).setNumRounds(rounds).setSeed(1)
                .setReduction(reduction).setRoundListener((rec, planned) -> System.out.println(line(rec)));
        int parameters = new io.sparkdiffusion.nn.unet.UNet(trainer.networkConfig(), 1).numParameters();
        System.out.println("PARAMETERS " + parameters);
        trainer.fit(df);
    }

    private static String line(RoundRecord r) {
        return String.format(Locale.ROOT, "ROUND %d %.3f %.3f %.3f %.3f %.3f", r.round(), r.broadcastNanos() / 1e9,
                r.aggregateNanos() / 1e9, r.computeNanos() / 1e9, r.totalNanos() / 1e9, r.totalComputeNanos() / 1e9);
    }

    private static void write(Path file, float[] w) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : w) {
                if (!buf.hasRemaining()) {
                    buf.flip();
                    ch.write(buf);
                    buf.clear();
                }
                buf.putFloat(x);
            }
            buf.flip();
            ch.write(buf);
        }
    }
}
