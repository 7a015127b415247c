package org.tlbjava.io;

import java.util.regex.Pattern;

/**
 * CSV cells as RFC 4180 writes them, safe to open in a spreadsheet: tlb predict --csv, attention's
 * index.csv, the Spark commands' tables.
 */
public final class Csv {
    private static final Pattern NEEDS_QUOTES = Pattern.compile("[,\"\\r\\n]");
    private static final Pattern FORMULA = Pattern.compile("^[=+\\-@]");
    private static final Pattern NUMBER = Pattern.compile("^[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?$");

    private Csv() {}

    /** A text cell: {@link #neutralised}, then quoted when it holds a comma, quote or line break, its quotes doubled. */
    public static String field(String text) {
        String safe = neutralised(text);
        return NEEDS_QUOTES.matcher(safe).find() ? '"' + safe.replace("\"", "\"\"") + '"' : safe;
    }

    /**
     * {@code text} with a ' in front when a spreadsheet would run it as a formula (it starts with
     * =, +, - or @ and is not a number), as OWASP advises against CSV injection.
     */
    public static String neutralised(String text) {
        return text != null && FORMULA.matcher(text).find() && !NUMBER.matcher(text).matches() ? "'" + text : text;
    }
}
