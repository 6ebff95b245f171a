package io.sparkdiffusion.spark;

/**
 * The training run {@link DriverCrashTest} kills: a tiny trainer with a checkpoint after every round, in its own
 * JVM (its own local Spark driver), so the test can SIGKILL the driver mid-training.
 *
 * <p>Arguments: the checkpoint directory, the number of rounds, the outer optimizer.
 */
public final class CrashTrainerMain {
    static final String FINISHED = "crash-trainer: finished";

    private CrashTrainerMain() {
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: CrashTrainerMain <checkpointDir> <numRounds> <outerOptimizer>");
        }
        DriverCrashTest.trainer(Integer.parseInt(args[1])).setOuterOptimizer(args[2]).setCheckpointDir(args[0])
                .setCheckpointInterval(1)
                .setRoundListener((r, planned) -> System.out.println("crash-trainer: round " + r.round() + " done"))
                .fit(DriverCrashTest.data());
        System.out.println(FINISHED);
        System.exit(0);
    }
}
