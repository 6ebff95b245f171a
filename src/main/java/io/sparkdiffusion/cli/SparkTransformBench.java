package io.sparkdiffusion.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.sparkdiffusion.spark.DiffusionModel;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

import java.util.Locale;

/**
 * End to end: {@code DiffusionModel.transform} on an embedded Spark ({@code local[1]}, then {@code local[2]}) with
 * the benchmark's sampler path (EDM Heun, unet-small, the same batch), one partition per core, each row's sample
 * materialized. Prints one JSON line per master: images, seconds and images per second of one timed job, after an
 * untimed job of one batch per partition (JIT, network and tape warm-up). The driver binds to 127.0.0.1.
 */
final class SparkTransformBench {
    private SparkTransformBench() {
    }

    static void run(SamplerPath path, int images) {
        for (int cores : new int[] {1, 2}) {
            String master = "local[" + cores + "]";
            SparkSession spark = SparkSession.builder().appName("spark-diffusion bench").master(master)
                    .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                    .getOrCreate();
            try {
                DiffusionModel model = model(path);
                drain(model.transform(seeds(spark, path, cores * model.getSampleBatchSize(), cores)));
                long t0 = System.nanoTime();
                drain(model.transform(seeds(spark, path, images, cores)));
                double seconds = (System.nanoTime() - t0) / 1e9;
                System.out.println(String.format(Locale.ROOT, "{\"metric\":\"java_transform\",\"master\":\"%s\","
                        + "\"partitions\":%d,\"images\":%d,\"sample_batch_size\":%d,\"num_steps\":%d,"
                        + "\"network_evaluations\":%d,\"seconds\":%.3f,\"images_per_s\":%.3f}", master, cores, images,
                        model.getSampleBatchSize(), path.settings().numSteps(), path.settings().evaluations(),
                        seconds, images / seconds));
            } finally {
                spark.stop();
            }
        }
    }

    private static DiffusionModel model(SamplerPath path) {
        DiffusionModel model = new DiffusionModel("bench", path.spec(), path.weights(), path.weights(), null)
                .setSampleBatchSize(path.batch()).setNumSteps(path.settings().numSteps());
        int classes = path.spec().numClasses();
        if (classes > 0) {
            StageParams.set(model, model.numClasses(), classes);
            model.setLabelCol("label");
        }
        return model;
    }

    private static Dataset<Row> seeds(SparkSession spark, SamplerPath path, int n, int partitions) {
        int classes = path.spec().numClasses();
        Column label = classes == 0 ? lit(null) : col("id").mod(classes);
        return spark.range(0, n, 1, partitions).select(col("id").as("seed"),
                label.cast(DataTypes.IntegerType).as("label"));
    }

    private static void drain(Dataset<Row> samples) {
        samples.foreachPartition((ForeachPartitionFunction<Row>) rows -> {
            while (rows.hasNext()) {
                rows.next();
            }
        });
    }
}
