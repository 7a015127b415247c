package org.tlbjava.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every config key with its type, default, meaning and the presets that change it, for
 * {@code tlb config}. The meanings are the config records' {@code @JsonPropertyDescription}s, read
 * through Jackson's introspection, so the records stay the one place they are written.
 */
public final class ConfigKeys {
    /**
     * One key.
     *
     * @param presets preset name to the value it sets, for the presets that set another value than the default
     */
    public record Key(String name, String type, JsonNode defaultValue, String description, Map<String, JsonNode> presets) {}

    private ConfigKeys() {}

    /** Every key, in config file order. */
    public static List<Key> all() {
        JsonNode defaults = ConfigResolver.flat(RunConfig.defaults());
        Map<String, Map<String, JsonNode>> presetSettings = new LinkedHashMap<>();
        for (String preset : Presets.names()) {
            presetSettings.put(preset, Presets.settings(preset));
        }
        List<Key> keys = new ArrayList<>();
        for (BeanPropertyDefinition p : ConfigResolver.properties().values()) {
            String name = p.getName();
            JsonNode value = defaults.get(name);
            Map<String, JsonNode> changedBy = new LinkedHashMap<>();
            presetSettings.forEach((preset, settings) -> {
                JsonNode set = settings.get(name);
                if (set != null && !sameValue(set, value)) {
                    changedBy.put(preset, set);
                }
            });
            keys.add(new Key(name, ConfigResolver.describe(p.getPrimaryType()), value, p.getMetadata().getDescription(), changedBy));
        }
        return keys;
    }

    /** 0.0001 in a preset and 1.0E-4 as the default are the same number. */
    private static boolean sameValue(JsonNode a, JsonNode b) {
        return a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) == 0 : a.equals(b);
    }
}
