package io.sparkdiffusion.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The entry point {@code submit.sh} runs, embedded or through spark-submit:
 * {@code Main <train|sample|info|bench|features|evaluate> [args]}. Exit codes: 0 success, 1 failure, 2 usage error (bad flag,
 * config key or value, missing file), reported as one line without a stack trace.
 */
public final class Main {
    static final List<Command> COMMANDS = List.of(new TrainCommand(), new SampleCommand(), new InfoCommand(),
            new BenchCommand(), new FeaturesCommand(), new EvaluateCommand());

    private Main() {
    }

    public static void main(String[] argv) {
        System.setProperty("java.awt.headless", "true");
        int code = run(argv, System.out, System.err);
        System.out.flush();
        // Spark leaves non-daemon threads behind; the exit code is the command's, not the JVM's idea.
        System.exit(code);
    }

    /** Runs one command line and returns its exit code (for tests: never calls System.exit). */
    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            out.print(overview());
            return argv.length == 0 ? 2 : 0;
        }
        Command command = COMMANDS.stream().filter(c -> c.name().equals(argv[0])).findFirst().orElse(null);
        if (command == null) {
            err.println("error: unknown command \"" + argv[0] + "\"; expected one of "
                    + COMMANDS.stream().map(Command::name).toList() + " (see ./submit.sh --help)");
            return 2;
        }
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        try {
            Args args = command.parseArgs(rest);
            if (args.help()) {
                out.print(command.help());
                return 0;
            }
            return command.run(args);
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("error: " + command.name() + " failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    static String overview() {
        StringBuilder out = new StringBuilder();
        out.append("""
                spark-diffusion: train and sample diffusion models as Spark jobs.

                Usage: ./submit.sh [--master URL] <command> [args]     (each command has --help)

                Commands:
                """);
        for (Command c : COMMANDS) {
            out.append(String.format("  %-8s %s%n", c.name(), c.summary()));
        }
        out.append("""

                Examples:
                  ./submit.sh train conf/quick.json
                  ./submit.sh sample --model runs/quick/model --num 20 --out runs/quick/samples
                  ./submit.sh info --model runs/quick/model
                  ./submit.sh --master spark://host:7077 train conf/fashion-mnist.json --output hdfs:///runs/fm

                Without --master the job runs on an embedded Spark (local[*]) in one JVM; with --master,
                $SPARK_HOME/bin/spark-submit runs it on that cluster.
                """);
        return out.toString();
    }
}
