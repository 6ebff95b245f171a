package io.sparkdiffusion.cli;

/** A subcommand of {@link Main}. */
public sealed interface Command permits TrainCommand, SampleCommand, InfoCommand, BenchCommand, FeaturesCommand,
        EvaluateCommand {

    /** The word after {@code ./submit.sh}: {@code train}. */
    String name();

    /** One line for the overview. */
    String summary();

    /** The full --help text, with copy-pasteable examples. */
    String help();

    /** The command's arguments: options and positionals ({@code bench} passes its own on untouched). */
    default Args parseArgs(String[] rest) {
        return Args.parse(rest);
    }

    /** Runs the command; returns the process exit code. */
    int run(Args args) throws Exception;
}
