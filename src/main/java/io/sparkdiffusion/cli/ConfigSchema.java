package io.sparkdiffusion.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The keys a config may hold: the command line's own {@link Setting}s plus every typed Param of the given
 * Spark stages, under the Param's name. A Param that several stages share ({@code labelCol}) is one key and is
 * set on each of them.
 *
 * <p>{@link #bind} checks everything (unknown keys, JSON types, Param validators, required settings) and sets
 * the stages' Params; it never touches Spark's runtime, so it runs before a SparkSession exists.
 */
public final class ConfigSchema {
    /** One documented key, for --help and the configuration reference. */
    public record KeyDoc(String name, String type, String defaultValue, String doc) {
    }

    private final List<Setting> settings;
    private final List<? extends Params> stages;
    private final Map<String, Setting> settingsByName = new LinkedHashMap<>();
    private final Map<String, List<StageParam>> paramsByName = new TreeMap<>();

    private record StageParam(Params stage, Param<?> param, ValueType type) {
    }

    public ConfigSchema(List<Setting> settings, List<? extends Params> stages) {
        this(settings, stages, java.util.Set.of());
    }

    /**
     * @param managed Param names the command line sets itself (e.g. column names it chooses); they are not keys
     */
    public ConfigSchema(List<Setting> settings, List<? extends Params> stages, java.util.Set<String> managed) {
        this.settings = List.copyOf(settings);
        this.stages = List.copyOf(stages);
        for (Setting s : settings) {
            settingsByName.put(s.name(), s);
        }
        for (Params stage : stages) {
            for (Param<?> param : stage.params()) {
                String name = param.name();
                if (managed.contains(name)) {
                    continue;
                }
                if (settingsByName.containsKey(name)) {
                    throw new IllegalStateException("config key " + name + " is both a setting and a Param of " + stage.uid());
                }
                StageParams.typeOf(param).ifPresent(type -> {
                    List<StageParam> list = paramsByName.computeIfAbsent(name, k -> new ArrayList<>());
                    if (!list.isEmpty() && list.get(0).type() != type) {
                        throw new IllegalStateException("Param " + name + " has type " + type + " in " + stage.uid()
                                + " but " + list.get(0).type() + " in " + list.get(0).stage().uid());
                    }
                    list.add(new StageParam(stage, param, type));
                });
            }
        }
    }

    /** Every key, settings first, then the Params in alphabetical order. */
    public List<String> keys() {
        List<String> keys = new ArrayList<>(settingsByName.keySet());
        keys.addAll(paramsByName.keySet());
        return keys;
    }

    /**
     * Checks {@code config} (from {@code source}, e.g. the file name), then the command-line {@code overrides}
     * (camelCase key to raw text; they win over the file), sets every Param value on the stages and returns
     * the settings' values with defaults filled in.
     *
     * @throws UsageException naming the key and the source at the first problem
     */
    public Map<String, Object> bind(ObjectNode config, String source, Map<String, String> overrides) {
        Map<String, Object> values = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = config.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            bindOne(field.getKey(), field.getValue(), source, values);
        }
        for (Map.Entry<String, String> o : overrides.entrySet()) {
            String key = o.getKey();
            String where = "command line (--" + Args.kebab(key) + ")";
            requireKnown(key, where);
            bindOne(key, typeOfKey(key).fromCommandLine(o.getValue()), where, values);
        }
        for (Setting s : settings) {
            if (!values.containsKey(s.name())) {
                if (s.required()) {
                    throw new UsageException(source + ": required key " + s.name() + " is missing (" + s.doc() + ")");
                }
                values.put(s.name(), s.defaultValue());
            }
        }
        return values;
    }

    private void bindOne(String key, JsonNode node, String where, Map<String, Object> values) {
        requireKnown(key, where);
        Setting setting = settingsByName.get(key);
        if (setting != null) {
            Object value = setting.type().decode(node, key, where);
            if (!setting.valid().test(value)) {
                throw new UsageException(where + ": " + key + " = " + StageParams.show(value) + " is not valid; expected "
                        + setting.allowed());
            }
            values.put(key, value);
            return;
        }
        for (StageParam sp : paramsByName.get(key)) {
            Object value = StageParams.toParamValue(sp.param(), sp.type().decode(node, key, where));
            if (!StageParams.isValid(sp.param(), value)) {
                throw new UsageException(where + ": " + key + " = " + StageParams.show(value) + " is not valid: "
                        + sp.param().doc());
            }
            StageParams.set(sp.stage(), sp.param(), value);
        }
    }

    private ValueType typeOfKey(String key) {
        Setting setting = settingsByName.get(key);
        return setting != null ? setting.type() : paramsByName.get(key).get(0).type();
    }

    private void requireKnown(String key, String where) {
        if (settingsByName.containsKey(key) || paramsByName.containsKey(key)) {
            return;
        }
        String near = closest(key);
        throw new UsageException(where + ": unknown key \"" + key + "\"" + (near == null ? "" : " (did you mean " + near + "?)")
                + "; allowed keys: " + String.join(", ", keys()));
    }

    private String closest(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : keys()) {
            int d = editDistance(key.toLowerCase(java.util.Locale.ROOT), k.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 4) ? best : null;
    }

    /** Levenshtein distance. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The reference of every key: settings first, then Params alphabetically. */
    public List<KeyDoc> reference() {
        List<KeyDoc> docs = new ArrayList<>();
        for (Setting s : settings) {
            docs.add(new KeyDoc(s.name(), s.type().typeName(),
                    s.required() ? "(required)" : StageParams.show(s.defaultValue()), s.doc()));
        }
        for (Map.Entry<String, List<StageParam>> e : paramsByName.entrySet()) {
            StageParam sp = e.getValue().get(0);
            String def = e.getValue().stream().map(x -> StageParams.defaultText(x.stage(), x.param()))
                    .filter(java.util.Optional::isPresent).map(java.util.Optional::get).findFirst().orElse("(none)");
            docs.add(new KeyDoc(e.getKey(), sp.type().typeName(),
                    def, sp.param().doc()));
        }
        return docs;
    }

    /** The reference as aligned text lines for --help. */
    public String referenceText() {
        StringBuilder out = new StringBuilder();
        for (KeyDoc d : reference()) {
            out.append(String.format(java.util.Locale.ROOT, "  %-24s %-14s default %-12s %s%n", d.name(), d.type(),
                    d.defaultValue(), d.doc()));
        }
        return out.toString();
    }

    /** The reference as a Markdown table (key, type, default, meaning) for the README. */
    public String referenceMarkdown() {
        StringBuilder out = new StringBuilder("| key | type | default | meaning |\n|---|---|---|---|\n");
        for (KeyDoc d : reference()) {
            out.append("| `").append(d.name()).append("` | ").append(d.type()).append(" | ")
                    .append(d.defaultValue().replace("|", "\\|")).append(" | ").append(d.doc().replace("|", "\\|"))
                    .append(" |\n");
        }
        return out.toString();
    }

    List<? extends Params> stages() {
        return stages;
    }
}
