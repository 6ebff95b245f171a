package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;

/**
 * The JSON types a config value may have, and their strict decoding: an integer key takes {@code 3}, not
 * {@code 3.0} or {@code "3"}; a number key takes {@code 3} or {@code 0.5}.
 */
public enum ValueType {
    INTEGER("an integer"),
    LONG("an integer"),
    NUMBER("a number"),
    BOOLEAN("true or false"),
    STRING("a string"),
    STRING_ARRAY("an array of strings"),
    INTEGER_ARRAY("an array of integers"),
    NUMBER_ARRAY("an array of numbers");

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String description;

    ValueType(String description) {
        this.description = description;
    }

    /** The type's name in the configuration reference: "integer", "number", "string array", ... */
    public String typeName() {
        return this == LONG ? "integer" : name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }

    /** What the value must be, for messages: "an integer". */
    public String description() {
        return description;
    }

    /**
     * The Java value of {@code node}: Integer, Long, Double, Boolean, String, String[], int[] or double[].
     *
     * @param key   the config key, for the message
     * @param where the file (or "command line"), for the message
     */
    public Object decode(JsonNode node, String key, String where) {
        Object value = switch (this) {
            case INTEGER -> node.isIntegralNumber() && node.canConvertToInt() ? node.intValue() : null;
            case LONG -> node.isIntegralNumber() && node.canConvertToLong() ? node.longValue() : null;
            case NUMBER -> node.isNumber() && Double.isFinite(node.doubleValue()) ? node.doubleValue() : null;
            case BOOLEAN -> node.isBoolean() ? node.booleanValue() : null;
            case STRING -> node.isTextual() ? node.textValue() : null;
            case STRING_ARRAY -> decodeArray(node, STRING, key, where);
            case INTEGER_ARRAY -> decodeArray(node, INTEGER, key, where);
            case NUMBER_ARRAY -> decodeArray(node, NUMBER, key, where);
        };
        if (value == null) {
            throw new UsageException(where + ": " + key + " must be " + description + ", got " + node
                    + " (" + jsonKind(node) + ")");
        }
        return value;
    }

    private static Object decodeArray(JsonNode node, ValueType element, String key, String where) {
        if (!node.isArray()) {
            return null;
        }
        int n = node.size();
        return switch (element) {
            case STRING -> {
                String[] out = new String[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (String) element.decode(node.get(i), key + "[" + i + "]", where);
                }
                yield out;
            }
            case INTEGER -> {
                int[] out = new int[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (Integer) element.decode(node.get(i), key + "[" + i + "]", where);
                }
                yield out;
            }
            default -> {
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (Double) element.decode(node.get(i), key + "[" + i + "]", where);
                }
                yield out;
            }
        };
    }

    /**
     * The JSON of a command-line value: a string for STRING; a comma-separated list for STRING_ARRAY unless it
     * is a JSON array; otherwise the text parsed as JSON (so {@code 3}, {@code 0.5}, {@code true},
     * {@code [1,2]}), falling back to a string that {@link #decode} then rejects with the expected type.
     */
    public JsonNode fromCommandLine(String raw) {
        String text = raw.trim();
        if (this == STRING) {
            return TextNode.valueOf(raw);
        }
        if (this == STRING_ARRAY && !text.startsWith("[")) {
            ArrayNode array = JSON.createArrayNode();
            for (String part : text.split(",")) {
                array.add(part.trim());
            }
            return array;
        }
        try {
            JsonNode node = JSON.readTree(text);
            return node == null || node.isMissingNode() ? TextNode.valueOf(raw) : node;
        } catch (IOException e) {
            return TextNode.valueOf(raw);
        }
    }

    private static String jsonKind(JsonNode node) {
        if (node.isIntegralNumber()) {
            return "an integer";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isObject()) {
            return "an object";
        }
        return "null";
    }
}
