package org.tlbjava.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tlbjava.config.TlbConfig;
import picocli.CommandLine.Option;

/** {@code --config FILE} and repeated {@code --set key=value}, shared by the commands that build a model. */
final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "JSON config file (keys as in the reference's config dict).")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key, e.g. --set embed_dim=32 (repeatable).")
    List<String> overrides = new ArrayList<>();

    /** The reference defaults, then the file, then each --set; not yet validated. */
    TlbConfig resolve() {
        TlbConfig config = configFile != null ? TlbConfig.load(configFile) : new TlbConfig();
        for (String override : overrides) {
            config.set(override);
        }
        return config;
    }

    boolean given() {
        return configFile != null || !overrides.isEmpty();
    }
}
