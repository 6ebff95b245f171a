package io.sparkdiffusion.diffusion;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The names settings have at the edges (Spark Params, CLI, config files), parsed into their enums. */
public final class SettingIds {

    private SettingIds() {
    }

    /**
     * The constant of {@code values} whose {@code id} is {@code name}, trimmed, in any case.
     *
     * @param setting the setting's name, for the error
     * @throws IllegalArgumentException naming the setting, the bad value and the allowed ones
     */
    public static <E extends Enum<E>> E parse(String setting, E[] values, Function<E, String> id, String name) {
        if (name != null) {
            String key = name.trim().toLowerCase(Locale.ROOT);
            for (E value : values) {
                if (id.apply(value).equals(key)) {
                    return value;
                }
            }
        }
        throw new IllegalArgumentException(setting + " must be one of " + allowed(values, id) + ", got '" + name + "'");
    }

    /** {@code [a, b, c]}: the ids of {@code values} in declaration order. */
    public static <E extends Enum<E>> String allowed(E[] values, Function<E, String> id) {
        return Arrays.stream(values).map(id).collect(Collectors.joining(", ", "[", "]"));
    }
}
