package org.tlbjava.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tlbjava.UsageException;

/**
 * Named bundles of settings shipped in the jar ({@code presets/NAME.json}, config keys as in a
 * config file). {@link ConfigResolver#preset} applies one over the defaults; a config file and
 * {@code --set} still override it.
 */
public final class Presets {
    /** Each preset with one line on what it is for. */
    private static final Map<String, String> DESCRIPTIONS = new LinkedHashMap<>();

    static {
        DESCRIPTIONS.put("reference", "the Keras example's recipe, key for key (the defaults)");
        DESCRIPTIONS.put("fast", "the best validation accuracy measured within 60 minutes on 2 CPU cores");
    }

    private Presets() {}

    public static List<String> names() {
        return List.copyOf(DESCRIPTIONS.keySet());
    }

    public static String description(String name) {
        return DESCRIPTIONS.get(name);
    }

    /** The preset's settings, key to JSON value, in file order. */
    public static Map<String, JsonNode> settings(String name) {
        if (!DESCRIPTIONS.containsKey(name)) {
            throw new UsageException("--preset: unknown preset '" + name + "' (known: "
                    + String.join(", ", names()) + ")");
        }
        String resource = "presets/" + name + ".json";
        try (InputStream in = Presets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("preset resource " + resource + " is missing from the jar");
            }
            JsonNode node = ConfigResolver.JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            Map<String, JsonNode> settings = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                settings.put(field.getKey(), field.getValue());
            }
            return settings;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("preset " + name + " is not valid JSON", e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read preset " + name, e);
        }
    }
}
