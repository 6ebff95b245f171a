/**
 * The command line that {@code submit.sh} runs: {@link io.sparkdiffusion.cli.Main} dispatches to
 * {@code train}, {@code sample}, {@code info} and {@code bench}.
 *
 * <p>One name per setting: a config key is the Spark Param's name ({@code numSteps}) and the flag that
 * overrides it is its kebab case ({@code --num-steps}). Configs are parsed and checked completely, against the
 * stages' own Params, before any SparkSession starts, so a typo fails in a second, not after Spark's start-up.
 */
package io.sparkdiffusion.cli;
