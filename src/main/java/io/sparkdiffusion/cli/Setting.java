package io.sparkdiffusion.cli;

import java.util.function.Predicate;

/**
 * A config key of the command line itself (where the data is, where output goes), as opposed to a Spark
 * Param of a stage.
 *
 * @param name         the config key; its flag is the kebab case
 * @param type         the JSON type of the value
 * @param defaultValue the value when the key is absent; {@code null} makes the key required
 * @param doc          what it means, for --help and the docs
 * @param valid        which decoded values are allowed
 * @param allowed      the allowed values in words, for the error message ("an integer >= 1")
 */
public record Setting(String name, ValueType type, Object defaultValue, String doc, Predicate<Object> valid,
                      String allowed) {

    /** A setting whose every value of the right type is allowed. */
    public static Setting of(String name, ValueType type, Object defaultValue, String doc) {
        return new Setting(name, type, defaultValue, doc, v -> true, type.description());
    }

    public boolean required() {
        return defaultValue == null;
    }
}
