package io.sparkdiffusion;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every reference from one package of {@code src/main} to another (imports and fully qualified names in code,
 * comments aside) is allowed by the layering written in the root {@code package-info.java}.
 */
class LayeringTest {
    private static final Path MAIN = Path.of("src/main/java/io/sparkdiffusion");
    private static final Pattern RULE = Pattern.compile("^\\s*\\*\\s{3}(\\w+)\\s+(-|[\\w ]+)$");
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.sparkdiffusion\\.(\\w+)\\.");
    private static final Pattern PACKAGE = Pattern.compile("^package io\\.sparkdiffusion\\.(\\w+)", Pattern.MULTILINE);

    /** Layer name to the layers it may import, from the root package-info's table. */
    static Map<String, Set<String>> layering() throws IOException {
        Map<String, Set<String>> rules = new LinkedHashMap<>();
        for (String line : Files.readAllLines(MAIN.resolve("package-info.java"))) {
            Matcher m = RULE.matcher(line);
            if (m.matches() && !m.group(1).equals("layer")) {
                String allowed = m.group(2).trim();
                rules.put(m.group(1), allowed.equals("-") ? Set.of() : Set.of(allowed.split("\\s+")));
            }
        }
        return rules;
    }

    /** The source without comments and string literals, so that only code references count. */
    static String code(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ")
                .replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
    }

    /** Each reference of {@code source} (in layer {@code layer}) that the rules forbid, as a message. */
    static List<String> violations(Map<String, Set<String>> rules, String file, String source) {
        List<String> bad = new ArrayList<>();
        Matcher pkg = PACKAGE.matcher(source);
        if (!pkg.find()) {
            return bad; // the root package-info itself
        }
        String layer = pkg.group(1);
        if (!rules.containsKey(layer)) {
            bad.add(file + ": package " + layer + " is not in the layering of io/sparkdiffusion/package-info.java");
            return bad;
        }
        Matcher ref = REFERENCE.matcher(code(source));
        while (ref.find()) {
            String target = ref.group(1);
            if (!target.equals(layer) && !rules.get(layer).contains(target)) {
                bad.add(file + ": " + layer + " may not use " + target + " (" + layer + " may import "
                        + rules.get(layer) + "), found io.sparkdiffusion." + target + ".");
            }
        }
        return bad;
    }

    @Test
    void theLayeringIsWrittenDownForEveryPackage() throws IOException {
        Map<String, Set<String>> rules = layering();
        assertEquals(List.of("tensor", "autograd", "nn", "diffusion", "metrics", "io", "model", "train", "spark", "cli"),
                List.copyOf(rules.keySet()), "layers of the root package-info");
        try (Stream<Path> dirs = Files.list(MAIN)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                assertTrue(rules.containsKey(d.getFileName().toString()), d + " has no line in the layering");
            }
        }
    }

    @Test
    void noImportGoesAgainstTheLayering() throws IOException {
        Map<String, Set<String>> rules = layering();
        List<String> bad = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                bad.addAll(violations(rules, MAIN.relativize(f).toString(), Files.readString(f)));
            }
        }
        assertEquals(List.of(), bad);
    }

    /** The check itself: an import of nn from diffusion is caught, one of tensor from nn is not. */
    @Test
    void aForbiddenImportIsReported() throws IOException {
        Map<String, Set<String>> rules = layering();
        assertEquals(1, violations(rules, "X.java", "package io.sparkdiffusion.diffusion;\n"
                + "import io.sparkdiffusion.nn.unet.UNetConfig;\n").size());
        assertEquals(List.of(), violations(rules, "Y.java", "package io.sparkdiffusion.nn.unet;\n"
                + "import io.sparkdiffusion.tensor.Shape;\n// io.sparkdiffusion.spark.X in a comment\n"));
    }
}
