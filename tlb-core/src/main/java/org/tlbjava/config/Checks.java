package org.tlbjava.config;

import java.util.Arrays;
import java.util.List;

/** The config checks' common phrases, each adding "key must be …, got value" to a list of problems. */
final class Checks {
    private Checks() {}

    static void positive(List<String> problems, String key, long value) {
        if (value <= 0) {
            problems.add(key + " must be positive, got " + value);
        }
    }

    static void oneOf(List<String> problems, String key, String value, String... allowed) {
        if (!Arrays.asList(allowed).contains(value)) {
            problems.add(key + " must be one of " + String.join(", ", allowed) + ", got " + value);
        }
    }

    static void rate(List<String> problems, String key, double value) {
        if (!(value >= 0 && value < 1)) {
            problems.add(key + " must be in [0, 1), got " + value);
        }
    }

    /** Throws one {@link InvalidConfigException} listing every problem, when there is any. */
    static void require(List<String> problems) {
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
    }
}
