package org.tlbjava.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.config.ConfigKeys;
import org.tlbjava.config.Presets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"List every config key: its default, type, meaning, and the presets that change it.",
            "Set keys with --set key=value, --config FILE (a JSON object of keys) or --preset NAME."})
final class ConfigCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object: keys (name, type, default, description, presets) and presets.")
    boolean json;

    @Override
    public Integer call() {
        List<ConfigKeys.Key> keys = ConfigKeys.all();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (ConfigKeys.Key k : keys) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("key", k.name());
                row.put("type", k.type());
                row.put("default", k.defaultValue());
                row.put("description", k.description());
                row.put("presets", k.presets());
                rows.add(row);
            }
            Map<String, String> presets = new LinkedHashMap<>();
            Presets.names().forEach(name -> presets.put(name, Presets.description(name)));
            System.out.println(Json.line(Map.of("keys", rows, "presets", presets)));
            return 0;
        }
        for (ConfigKeys.Key k : keys) {
            System.out.printf(Locale.ROOT, "%s = %s  (%s)%n", k.name(), k.defaultValue(), k.type());
            System.out.println("    " + k.description());
            if (!k.presets().isEmpty()) {
                List<String> changed = new ArrayList<>();
                k.presets().forEach((preset, value) -> changed.add(preset + ": " + value));
                System.out.println("    presets: " + String.join(", ", changed));
            }
        }
        System.out.println();
        System.out.println("Presets (--preset NAME):");
        Presets.names().forEach(name -> System.out.printf(Locale.ROOT, "  %-10s %s%n", name, Presets.description(name)));
        return 0;
    }
}
