package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.unet.UNetPreset;
import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.train.DiffusionObjective;
import io.sparkdiffusion.train.LocalTrainer;
import io.sparkdiffusion.train.Shard;
import io.sparkdiffusion.train.TrainingConfig;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * A benchmark (not a test): training steps (forward, backward, Adam) of each network preset on random 3 x 32 x 32
 * images in this thread, one core, no Spark; prints images per second of thread CPU time (what one core delivers
 * whatever else the machine runs) and of wall time. The first step (JIT warm-up) is left out.
 *
 * <pre>
 *   ./probe.sh presets [BATCH=8] [STEPS=3]
 * </pre>
 */
public final class PresetThroughput {
    private PresetThroughput() {
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        System.out.printf("BLAS %s, batch %d, %d timed steps after one warm-up step, 3x32x32%n",
                Gemm.implementation(), batch, steps);
        for (UNetPreset preset : UNetPreset.values()) {
            DiffusionTrainer trainer = new DiffusionTrainer().setNetwork(preset.id()).setImageChannels(3)
                    .setImageSize(32).setBatchSize(batch).setWarmupSteps(1).setSeed(1);
            DiffusionObjective objective = trainer.objective();
            TrainingConfig config = trainer.trainingConfig();
            SplittableRandom r = new SplittableRandom(1);
            float[] images = new float[4 * batch * 3 * 32 * 32];
            for (int i = 0; i < images.length; i++) {
                images[i] = (float) (2 * r.nextDouble() - 1);
            }
            Shard shard = new Shard(images, null, 3 * 32 * 32);
            float[] w = new float[objective.numParameters()];
            objective.initialize(w, 1);
            float[] state = new float[config.optimizer().stateSize(w.length)];
            var warm = LocalTrainer.run(objective, config, shard, 0, w, state, 0, 1);
            long cpu0 = threads.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            var result = LocalTrainer.run(objective, config, shard, 0, warm.params(), warm.optimizerState(), 1, steps);
            double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
            double wall = (System.nanoTime() - wall0) / 1e9;
            System.out.printf("%s: %,d parameters, %d images in %.1f s CPU (%.2f images/s per core), %.1f s wall "
                    + "(%.2f images/s), loss %.4f%n", preset.id(), w.length, result.images(), cpu,
                    result.images() / cpu, wall, result.images() / wall, result.lossSum() / result.images());
        }
    }
}
