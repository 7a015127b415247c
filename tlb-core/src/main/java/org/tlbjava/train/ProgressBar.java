package org.tlbjava.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Keras' progress line, {@code 7/19 ━━━━━━━━────────────── 410s 58s/step - accuracy: 0.1166 - loss: 3.1132},
 * redrawn in place on a terminal; on a pipe or file (CI logs) a plain line every
 * {@code plainEverySeconds} and at the end.
 */
public final class ProgressBar {
    private static final int WIDTH = 20;
    private final PrintStream out;
    private final boolean terminal;
    private final int total;
    private final long start = System.nanoTime();
    private final double plainEverySeconds;
    private double lastPlain;

    public ProgressBar(PrintStream out, boolean terminal, int total, double plainEverySeconds) {
        this.out = out;
        this.terminal = terminal;
        this.total = total;
        this.plainEverySeconds = plainEverySeconds;
    }

    /**
     * Whether standard error, where bars are drawn, is an interactive terminal: so that
     * {@code tlb train --json > out.txt} still redraws its bar in place on the screen. Java 17
     * asks only about standard input and output ({@link System#console}); on Linux the process's
     * descriptor 2 names its device.
     */
    public static boolean stderrIsTerminal() {
        String term = System.getenv("TERM");
        if (term == null || "dumb".equals(term)) {
            return false;
        }
        try {
            String device = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return device.startsWith("/dev/pts/") || device.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException notLinux) {
            return System.console() != null;
        }
    }

    private double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** Reports that {@code done} of the steps are finished; {@code metrics} such as "loss: 2.1". */
    public void update(int done, String metrics) {
        double elapsed = elapsedSeconds();
        if (terminal) {
            out.print("\r" + line(done, elapsed, metrics) + "\033[K");
            out.flush();
        } else if (done == total || elapsed - lastPlain >= plainEverySeconds) {
            lastPlain = elapsed;
            out.println(line(done, elapsed, metrics));
        }
    }

    /** Ends the in-place line. */
    public void finish() {
        if (terminal) {
            out.println();
        }
    }

    String line(int done, double elapsed, String metrics) {
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        String bar = "━".repeat(filled) + "─".repeat(WIDTH - filled);
        double perStep = done == 0 ? 0 : elapsed / done;
        String timing = done < total
                ? String.format(Locale.ROOT, "ETA %s %s/step", clock((total - done) * perStep), duration(perStep))
                : String.format(Locale.ROOT, "%s %s/step", duration(elapsed), duration(perStep));
        return String.format(Locale.ROOT, "%d/%d %s %s%s", done, total, bar, timing,
                metrics.isEmpty() ? "" : " - " + metrics);
    }

    private static String duration(double seconds) {
        return seconds >= 1 ? String.format(Locale.ROOT, "%.0fs", seconds)
                : String.format(Locale.ROOT, "%.0fms", seconds * 1000);
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
