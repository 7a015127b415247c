package org.tlbjava.explain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** matplotlib's "inferno" colour map (256 entries), looked up the way matplotlib does: entry floor(v * 256), clipped. */
public final class Inferno {
    private static final int[] TABLE = load();

    private Inferno() {}

    /** Packed 0xRRGGBB for {@code value} in [0, 1] (values outside are clipped). */
    public static int rgb(double value) {
        double v = Double.isNaN(value) ? 0 : Math.max(0, Math.min(1, value));
        return TABLE[Math.min(TABLE.length - 1, (int) (v * TABLE.length))];
    }

    private static int[] load() {
        int[] table = new int[256];
        int n = 0;
        try (InputStream in = Inferno.class.getResourceAsStream("inferno.txt");
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    table[n++] = Integer.parseInt(line.trim(), 16);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (n != table.length) {
            throw new IllegalStateException("inferno.txt has " + n + " entries, expected 256");
        }
        return table;
    }
}
