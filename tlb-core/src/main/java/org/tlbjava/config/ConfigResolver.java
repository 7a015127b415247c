package org.tlbjava.config;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;

/**
 * Builds a {@link RunConfig}, the one place config values change. Callers apply layers in the
 * order they override each other: the defaults, a preset, a config file, each {@code --set}, the
 * command's own flags, then facts of the data (its classes, the batch that fits it). Each layer
 * names itself, so a bad key or value is reported where it came from; {@link #resolve} checks
 * the result as a whole.
 */
public final class ConfigResolver {
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS) // tta_flip=7 is not true, "5" not 5
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** The config's parts, in config file order. */
    private static final List<Class<? extends Record>> PARTS = List.of(ModelConfig.class, DataConfig.class,
            TrainConfig.class);

    private static final String DEFAULTS = "defaults.json";

    private final ObjectNode values;

    private ConfigResolver(ObjectNode values) {
        this.values = values;
    }

    /** The reference's config ({@code defaults.json}), key for key. */
    public static ConfigResolver defaults() {
        try (InputStream in = ConfigResolver.class.getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULTS + " is missing from the jar");
            }
            return new ConfigResolver((ObjectNode) JSON.readTree(in));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DEFAULTS, e);
        }
    }

    /** Starts from an existing config, to derive another. */
    public static ConfigResolver from(RunConfig config) {
        return new ConfigResolver(flat(config));
    }

    /** The named preset's settings. */
    public ConfigResolver preset(String name) {
        Presets.settings(name).forEach((key, value) -> set(key, value, "preset " + name));
        return this;
    }

    /** A JSON config file's keys; the others keep their values. */
    public ConfigResolver file(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new TlbException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new TlbException("cannot read config file " + file + ": " + e.getMessage());
        }
        return json(text, "config file " + file);
    }

    /** A JSON object's keys; {@code where} names it in errors. */
    ConfigResolver json(String text, String where) {
        JsonNode node;
        try {
            node = JSON.readTree(text.startsWith("\uFEFF") ? text.substring(1) : text); // editors' byte-order mark
        } catch (JsonParseException e) {
            if (e.getOriginalMessage().startsWith("Duplicate field")) {
                throw new UsageException(where + ": " + e.getOriginalMessage().toLowerCase(java.util.Locale.ROOT)
                        .replace("field", "key") + " (each key may appear once)");
            }
            throw new TlbException(where + " is not valid JSON: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new TlbException(where + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new TlbException(where + ": expected a JSON object of config keys");
        }
        node.fields().forEachRemaining(field -> set(field.getKey(), field.getValue(), where));
        return this;
    }

    /** One {@code key=value} assignment, as given to {@code --set}; a bare word is a string. */
    public ConfigResolver set(String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new UsageException("--set expects key=value, got '" + assignment + "'");
        }
        String key = assignment.substring(0, eq).trim();
        String raw = assignment.substring(eq + 1).trim();
        JsonNode value;
        try {
            value = JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            value = null;
        }
        if (value == null || value.isMissingNode()) {
            value = TextNode.valueOf(raw); // a bare word such as a dataset name
        }
        return set(key, value, "--set " + assignment);
    }

    /** One key's value from a command's flag or a fact of the data; {@code where} names it in errors. */
    public ConfigResolver set(String key, Object value, String where) {
        return set(key, JSON.valueToTree(value), where);
    }

    private ConfigResolver set(String key, JsonNode value, String where) {
        BeanPropertyDefinition property = properties().get(key);
        if (property == null) {
            throw new UsageException(where + ": unknown config key '" + key + "' (known keys: "
                    + String.join(", ", RunConfig.keys()) + ")");
        }
        JavaType type = property.getPrimaryType();
        try {
            JSON.readerFor(type).readValue(value);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException(where + ": bad value " + value + " for '" + key + "': expected " + describe(type));
        }
        values.set(key, value);
        return this;
    }

    /**
     * A fact of the data: its {@code count} classes set num_classes. A num_classes chosen on
     * purpose (not the default) that differs is refused rather than silently replaced.
     */
    public ConfigResolver dataClasses(int count, String source) {
        int configured = values.get("num_classes").asInt();
        int standard = defaults().values.get("num_classes").asInt();
        if (configured != standard && configured != count) {
            throw new UsageException("num_classes " + configured + " does not match the " + count + " classes of the"
                    + " data at " + source + "; leave num_classes out: training sets it from the data");
        }
        return set("num_classes", count, "the classes of the data at " + source);
    }

    /** The config these layers make, checked as a whole: one message lists every problem. */
    public RunConfig resolve() {
        List<String> problems = new ArrayList<>();
        List<Record> parts = new ArrayList<>();
        for (Class<? extends Record> part : PARTS) {
            ObjectNode own = JSON.createObjectNode();
            for (BeanPropertyDefinition p : properties(part)) {
                own.set(p.getName(), values.get(p.getName()));
            }
            try {
                parts.add(JSON.treeToValue(own, part));
            } catch (ValueInstantiationException e) {
                if (!(e.getCause() instanceof InvalidConfigException invalid)) {
                    throw new IllegalStateException(e);
                }
                problems.addAll(invalid.problems());
            } catch (JsonProcessingException e) { // every value was checked against its type when set
                throw new IllegalStateException(e);
            }
        }
        Checks.require(problems);
        return new RunConfig((ModelConfig) parts.get(0), (DataConfig) parts.get(1), (TrainConfig) parts.get(2));
    }

    /** The flat JSON of a config, one key per value, in config file order. */
    static String toJson(RunConfig config) {
        try {
            return JSON.writeValueAsString(flat(config));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The config's keys and values, in config file order. */
    static ObjectNode flat(RunConfig config) {
        ObjectNode all = JSON.createObjectNode();
        for (Record part : List.of(config.model(), config.data(), config.train())) {
            all.setAll((ObjectNode) JSON.valueToTree(part));
        }
        return all;
    }

    /** Every key's property (type, description), in config file order. */
    static Map<String, BeanPropertyDefinition> properties() {
        Map<String, BeanPropertyDefinition> all = new LinkedHashMap<>();
        for (Class<? extends Record> part : PARTS) {
            properties(part).forEach(p -> all.put(p.getName(), p));
        }
        return all;
    }

    private static List<BeanPropertyDefinition> properties(Class<?> part) {
        BeanDescription bean = JSON.getSerializationConfig().introspect(JSON.constructType(part));
        return bean.findProperties();
    }

    /** A key's type in words, for errors and {@code tlb config}. */
    static String describe(JavaType type) {
        Class<?> raw = type.getRawClass();
        if (raw == int.class || raw == long.class) {
            return "an integer";
        }
        if (raw == double.class) {
            return "a number";
        }
        if (raw == boolean.class) {
            return "true or false";
        }
        if (List.class.isAssignableFrom(raw)) {
            return "a list of integers such as [32,32,3]";
        }
        return raw.getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }
}
