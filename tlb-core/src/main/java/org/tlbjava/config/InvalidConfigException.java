package org.tlbjava.config;

import java.util.List;
import org.tlbjava.UsageException;

/** Config values that make no run: one message listing each problem, in config-key terms. */
public final class InvalidConfigException extends UsageException {
    private final List<String> problems;

    InvalidConfigException(List<String> problems) {
        super("invalid config: " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
