package org.tlbjava.config;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every config key with its type, default, meaning and the presets that change it, for
 * {@code tlb config}. The meanings are the fields' {@code @JsonPropertyDescription}s, read through
 * Jackson's bean introspection, so the config class stays the one place they are written.
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
        Map<String, BeanPropertyDefinition> properties = properties();
        JsonNode defaults = TlbConfig.JSON.valueToTree(new TlbConfig());
        Map<String, Map<String, JsonNode>> presetSettings = new LinkedHashMap<>();
        for (String preset : Presets.names()) {
            presetSettings.put(preset, Presets.settings(preset));
        }
        List<Key> keys = new ArrayList<>();
        for (String name : TlbConfig.keys()) {
            BeanPropertyDefinition p = properties.get(name);
            JsonNode value = defaults.get(name);
            Map<String, JsonNode> changedBy = new LinkedHashMap<>();
            presetSettings.forEach((preset, settings) -> {
                JsonNode set = settings.get(name);
                if (set != null && !sameValue(set, value)) {
                    changedBy.put(preset, set);
                }
            });
            keys.add(new Key(name, TlbConfig.describe(p.getRawPrimaryType()), value, p.getMetadata().getDescription(), changedBy));
        }
        return keys;
    }

    /** 0.0001 in a preset and 1.0E-4 as the default are the same number. */
    private static boolean sameValue(JsonNode a, JsonNode b) {
        return a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) == 0 : a.equals(b);
    }

    /** The Java type of a key's field; null for an unknown key. */
    static Class<?> type(String key) {
        BeanPropertyDefinition p = properties().get(key);
        return p == null ? null : p.getRawPrimaryType();
    }

    private static Map<String, BeanPropertyDefinition> properties() {
        BeanDescription bean = TlbConfig.JSON.getSerializationConfig()
                .introspect(TlbConfig.JSON.constructType(TlbConfig.class));
        Map<String, BeanPropertyDefinition> properties = new HashMap<>();
        for (BeanPropertyDefinition p : bean.findProperties()) {
            properties.put(p.getName(), p);
        }
        return properties;
    }
}
