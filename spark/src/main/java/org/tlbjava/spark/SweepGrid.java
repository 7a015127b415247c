package org.tlbjava.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tlbjava.UsageException;
import org.tlbjava.config.ConfigResolver;
import org.tlbjava.config.RunConfig;

/**
 * The configurations of a sweep, from a JSON file: {@code "grid"} (each key a list of values; every
 * combination is one configuration) or {@code "runs"} (a list of configurations), and {@code "set"}
 * (overrides for all). Keys are config keys as for {@code tlb train --set}, and {@code preset}.
 */
final class SweepGrid {
    static final String PRESET = "preset";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SweepGrid() {}

    /**
     * Each configuration's overrides, key to value as written after {@code --set key=}, in file
     * order; more than {@code limit} configurations are refused before any is built.
     */
    static List<LinkedHashMap<String, String>> read(Path file, int limit) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UsageException("--grid " + file + ": cannot read it as JSON (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new UsageException("--grid " + file + " must hold a JSON object with \"grid\" or \"runs\"");
        }
        for (Iterator<String> keys = root.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!List.of("grid", "runs", "set").contains(key)) {
                throw new UsageException("--grid " + file + ": unknown field '" + key + "' (known: grid, runs, set)");
            }
        }
        if (root.has("grid") == root.has("runs")) {
            throw new UsageException("--grid " + file + " must have exactly one of \"grid\" and \"runs\"");
        }
        Map<String, String> common = overrides(root.path("set"), file, "set");
        List<LinkedHashMap<String, String>> runs = new ArrayList<>();
        if (root.has("grid")) {
            runs.add(new LinkedHashMap<>());
            JsonNode grid = root.get("grid");
            if (!grid.isObject() || grid.isEmpty()) {
                throw new UsageException("--grid " + file + ": \"grid\" must map config keys to lists of values");
            }
            long combinations = 1; // capped where the next product could overflow: past any limit anyway
            for (JsonNode values : grid) {
                combinations = Math.min(combinations * Math.max(values.size(), 1), Long.MAX_VALUE / Integer.MAX_VALUE);
            }
            checkCount(file, combinations, limit);
            for (Iterator<Map.Entry<String, JsonNode>> fields = grid.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!field.getValue().isArray() || field.getValue().isEmpty()) {
                    throw new UsageException("--grid " + file + ": grid." + field.getKey() + " must be a non-empty list");
                }
                List<LinkedHashMap<String, String>> product = new ArrayList<>();
                for (LinkedHashMap<String, String> run : runs) {
                    for (JsonNode value : field.getValue()) {
                        LinkedHashMap<String, String> next = new LinkedHashMap<>(run);
                        next.put(field.getKey(), text(value));
                        product.add(next);
                    }
                }
                runs = product;
            }
        } else {
            JsonNode list = root.get("runs");
            if (!list.isArray() || list.isEmpty()) {
                throw new UsageException("--grid " + file + ": \"runs\" must be a non-empty list of objects");
            }
            checkCount(file, list.size(), limit);
            for (int i = 0; i < list.size(); i++) {
                runs.add(new LinkedHashMap<>(overrides(list.get(i), file, "runs[" + i + "]")));
            }
        }
        for (LinkedHashMap<String, String> run : runs) {
            common.forEach(run::putIfAbsent);
        }
        for (int i = 0; i < runs.size(); i++) {
            try {
                config(runs.get(i));
            } catch (UsageException e) {
                throw new UsageException("--grid " + file + ", configuration " + (i + 1) + " " + runs.get(i) + ": "
                        + e.getMessage());
            }
        }
        return runs;
    }

    private static void checkCount(Path file, long configurations, int limit) {
        if (configurations > limit) {
            throw new UsageException(String.format(Locale.ROOT, "--grid %s makes %,d configurations, more than"
                    + " --max-configurations %,d; raise it if you mean to train them all", file, configurations, limit));
        }
    }

    /**
     * The configuration these overrides make, as tlb train builds one: the defaults, the preset,
     * then each key; one engine thread per Spark task unless {@code workers} is given.
     */
    static RunConfig config(Map<String, String> overrides) {
        ConfigResolver config = ConfigResolver.defaults().set("workers", 1, "a Spark task (one core)");
        if (overrides.containsKey(PRESET)) {
            config.preset(overrides.get(PRESET));
        }
        overrides.forEach((key, value) -> {
            if (!key.equals(PRESET)) {
                config.set(key + "=" + value);
            }
        });
        return config.resolve();
    }

    private static Map<String, String> overrides(JsonNode node, Path file, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node.isMissingNode()) {
            return out;
        }
        if (!node.isObject()) {
            throw new UsageException("--grid " + file + ": " + where + " must be an object of config keys");
        }
        node.fields().forEachRemaining(field -> out.put(field.getKey(), text(field.getValue())));
        return out;
    }

    /** A JSON value as --set takes it: strings bare, everything else as JSON. */
    private static String text(JsonNode value) {
        return value.isTextual() ? value.asText() : value.toString();
    }
}
