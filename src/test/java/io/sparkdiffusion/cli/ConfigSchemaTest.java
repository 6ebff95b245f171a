package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigSchemaTest {
    private final FakeStage trainer = new FakeStage("trainer_1");
    private final FakeStage model = new FakeStage("model_1");
    private final ConfigSchema schema = new ConfigSchema(TrainSettings.KEYS, List.of(trainer, model));

    private static ObjectNode json(String text) {
        return ConfigFile.parse(text.getBytes(StandardCharsets.UTF_8), "test.json");
    }

    private Map<String, Object> bind(String text, Map<String, String> overrides) {
        return schema.bind(json(text), "test.json", overrides);
    }

    private String error(String text) {
        return error(text, Map.of());
    }

    private String error(String text, Map<String, String> overrides) {
        return assertThrows(UsageException.class, () -> bind(text, overrides)).getMessage();
    }

    private static final String MINIMAL = "{\"data\": \"data/x\", \"output\": \"runs/x\"";

    @Test
    void setsParamsOnEveryStageThatHasThemAndFillsDefaults() {
        Map<String, Object> values = bind(MINIMAL + ", \"numRounds\": 3, \"learningRate\": 2, \"seed\": 12345678901,"
                + " \"averageOptimizerState\": true, \"sampler\": \"euler\", \"channelMult\": [1, 2, 2]}", Map.of());
        for (FakeStage s : List.of(trainer, model)) {
            assertEquals(3, s.getNumRounds());
            assertEquals(2.0, s.getOrDefault(s.learningRate));
            assertEquals(12345678901L, s.getOrDefault(s.seed));
            assertEquals(true, s.getOrDefault(s.averageOptimizerState));
            assertEquals("euler", s.getOrDefault(s.sampler));
            assertArrayEquals(new int[]{1, 2, 2}, (int[]) s.getOrDefault(s.channelMult));
        }
        TrainSettings settings = TrainSettings.from(values);
        assertEquals(new TrainSettings("data/x", DataFormat.IDX, 0, "runs/x", false, 8, 4, 0), settings);
    }

    @Test
    void unknownKeyIsNamedWithTheAllowedKeysAndANearMiss() {
        String message = error(MINIMAL + ", \"numRound\": 3}");
        assertTrue(message.startsWith("test.json: unknown key \"numRound\" (did you mean numRounds?); allowed keys: data, "),
                message);
        assertTrue(message.contains("learningRate") && message.contains("maxImages"), message);
    }

    @Test
    void wrongTypesAreNamedWithTheExpectedType() {
        assertEquals("test.json: numRounds must be an integer, got 2.5 (a number)", error(MINIMAL + ", \"numRounds\": 2.5}"));
        assertEquals("test.json: numRounds must be an integer, got \"3\" (a string)", error(MINIMAL + ", \"numRounds\": \"3\"}"));
        assertEquals("test.json: learningRate must be a number, got true (a boolean)",
                error(MINIMAL + ", \"learningRate\": true}"));
        assertEquals("test.json: sampler must be a string, got 1 (an integer)", error(MINIMAL + ", \"sampler\": 1}"));
        assertEquals("test.json: channelMult[1] must be an integer, got \"2\" (a string)",
                error(MINIMAL + ", \"channelMult\": [1, \"2\"]}"));
        assertEquals("test.json: numRounds must be an integer, got 3000000000 (an integer)",
                error(MINIMAL + ", \"numRounds\": 3000000000}"));
    }

    @Test
    void invalidValuesQuoteTheParamDoc() {
        assertEquals("test.json: numRounds = 0 is not valid: rounds of training (>= 1)", error(MINIMAL + ", \"numRounds\": 0}"));
        assertEquals("test.json: sampler = \"rk4\" is not valid: sampler: euler or heun",
                error(MINIMAL + ", \"sampler\": \"rk4\"}"));
    }

    @Test
    void settingsAreCheckedLikeParams() {
        assertEquals("test.json: dataFormat = \"csv\" is not valid; expected one of [idx, images, binaryFile, parquet]",
                error(MINIMAL + ", \"dataFormat\": \"csv\"}"));
        assertEquals("test.json: maxImages = -1 is not valid; expected an integer >= 0", error(MINIMAL + ", \"maxImages\": -1}"));
        assertTrue(error("{\"data\": \"d\"}").startsWith("test.json: required key output is missing"));
    }

    @Test
    void commandLineOverridesWinAndAreCheckedTheSameWay() {
        Map<String, Object> values = bind(MINIMAL + ", \"numRounds\": 3}",
                Map.of("numRounds", "7", "output", "runs/y", "sampler", "euler", "channelMult", "[4]"));
        assertEquals(7, trainer.getNumRounds());
        assertEquals("runs/y", values.get("output"));
        assertEquals("euler", model.getOrDefault(model.sampler));
        assertArrayEquals(new int[]{4}, (int[]) trainer.getOrDefault(trainer.channelMult));
        assertEquals("command line (--num-rounds): numRounds must be an integer, got \"ten\" (a string)",
                error(MINIMAL + "}", Map.of("numRounds", "ten")));
        assertTrue(error(MINIMAL + "}", Map.of("numRoundz", "1"))
                .startsWith("command line (--num-roundz): unknown key \"numRoundz\" (did you mean numRounds?)"));
    }

    @Test
    void referenceListsEveryKeyWithTypeAndDefault() {
        List<ConfigSchema.KeyDoc> docs = schema.reference();
        assertEquals(schema.keys(), docs.stream().map(ConfigSchema.KeyDoc::name).toList());
        ConfigSchema.KeyDoc rounds = docs.stream().filter(d -> d.name().equals("numRounds")).findFirst().orElseThrow();
        assertEquals(new ConfigSchema.KeyDoc("numRounds", "integer", "10", "rounds of training (>= 1)"), rounds);
        ConfigSchema.KeyDoc output = docs.stream().filter(d -> d.name().equals("output")).findFirst().orElseThrow();
        assertEquals("(required)", output.defaultValue());
        assertTrue(schema.referenceMarkdown().contains("| `sampler` | string | \"heun\" | sampler: euler or heun |"));
    }

    @Test
    void editDistanceIsLevenshtein() {
        assertEquals(3, ConfigSchema.editDistance("kitten", "sitting"));
        assertEquals(0, ConfigSchema.editDistance("a", "a"));
        assertEquals(1, ConfigSchema.editDistance("numRound", "numRounds"));
    }
}
