package io.sparkdiffusion.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parsed command-line arguments: positional arguments and {@code --name value} / {@code --name=value}
 * options, with option names converted to the camelCase of config keys ({@code --num-steps} is {@code numSteps}).
 *
 * @param positional the arguments that are not options, in order
 * @param options    camelCase name to raw value, in command-line order
 * @param help       whether {@code --help} or {@code -h} was given
 */
public record Args(List<String> positional, Map<String, String> options, boolean help) {
    private static final Pattern KEBAB = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

    public Args {
        positional = List.copyOf(positional);
        options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** Parses {@code argv}; every option takes a value except {@code --help}. */
    public static Args parse(String[] argv) {
        List<String> positional = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        boolean help = false;
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
            } else if (arg.startsWith("--")) {
                String name = arg.substring(2);
                String value;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else if (i + 1 < argv.length) {
                    value = argv[++i];
                } else {
                    throw new UsageException("--" + name + " needs a value");
                }
                if (!KEBAB.matcher(name).matches()) {
                    throw new UsageException("--" + name + " is not an option name: options are kebab-case, e.g. --num-steps");
                }
                if (options.put(camel(name), value) != null) {
                    throw new UsageException("--" + name + " is given twice");
                }
            } else if (arg.startsWith("-") && arg.length() > 1 && !isNumber(arg)) {
                throw new UsageException("unknown option " + arg + "; options are --name value, or --help");
            } else {
                positional.add(arg);
            }
        }
        return new Args(positional, options, help);
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** {@code num-steps} to {@code numSteps}. */
    public static String camel(String kebab) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    /** {@code numSteps} to {@code num-steps}. */
    public static String kebab(String camel) {
        StringBuilder out = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append('-').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Fails naming the first option not in {@code allowed} (camelCase names). */
    public void requireOnly(Set<String> allowed, String command) {
        for (String name : options.keySet()) {
            if (!allowed.contains(name)) {
                throw new UsageException("unknown option --" + kebab(name) + " for " + command + "; allowed: "
                        + allowed.stream().sorted().map(n -> "--" + kebab(n)).toList()
                        + " (see ./submit.sh " + command + " --help)");
            }
        }
    }

    /** The value of a required option. */
    public String required(String name, String command) {
        String value = options.get(name);
        if (value == null) {
            throw new UsageException(command + " needs --" + kebab(name) + " (see ./submit.sh " + command + " --help)");
        }
        return value;
    }
}
