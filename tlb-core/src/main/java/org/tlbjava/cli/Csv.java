package org.tlbjava.cli;

/** CSV output of {@code predict --csv} and {@code attention}'s index.csv. */
final class Csv {
    private Csv() {}

    /** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
    static String field(String text) {
        return text.matches("(?s).*[,\"\\r\\n].*") ? '"' + text.replace("\"", "\"\"") + '"' : text;
    }
}
