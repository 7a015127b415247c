package org.tlbjava.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tlbjava.config.Presets;
import org.tlbjava.config.ConfigResolver;
import picocli.CommandLine.Option;

/** {@code --config FILE} and repeated {@code --set key=value}, shared by the commands that build a model. */
final class ConfigOptions {
    @Option(names = "--preset", paramLabel = "NAME", description = "Start from a named recipe shipped with the tool: ${COMPLETION-CANDIDATES} (default: reference, the Keras example).",
            completionCandidates = PresetNames.class)
    String preset;

    @Option(names = "--config", paramLabel = "FILE", description = "JSON config file (keys as in the reference's config dict).")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key, e.g. --set embed_dim=32 (repeatable); every key, its default and meaning: tlb config.")
    List<String> overrides = new ArrayList<>();

    /** The reference defaults, then the preset, then the file, then each --set; the command's flags go on top. */
    ConfigResolver layers() {
        ConfigResolver config = ConfigResolver.defaults();
        if (preset != null) {
            config.preset(preset);
        }
        if (configFile != null) {
            config.file(configFile);
        }
        overrides.forEach(config::set);
        return config;
    }

    boolean given() {
        return preset != null || configFile != null || !overrides.isEmpty();
    }

    /** The shipped presets' names, for --help. */
    static final class PresetNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Presets.names().iterator();
        }
    }
}
