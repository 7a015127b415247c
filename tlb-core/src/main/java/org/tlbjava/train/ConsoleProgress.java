package org.tlbjava.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Keras-style feedback: the run's log lines and "Epoch 3/30" on one stream, and a progress bar per
 * epoch on another, redrawn in place on a terminal (a plain line every 30 s on a pipe or file). On
 * the console the bar goes to standard error, so that redirected output and {@code --json} hold
 * no progress lines.
 */
public final class ConsoleProgress implements TrainingListener {
    private static final double PLAIN_EVERY_SECONDS = 30;
    private final PrintStream out;
    private final PrintStream progress;
    private final boolean terminal;
    private ProgressBar bar;

    /** Log lines and epoch headers on {@code out}, the bar on {@code progress}. */
    public ConsoleProgress(PrintStream out, PrintStream progress, boolean terminal) {
        this.out = out;
        this.progress = progress;
        this.terminal = terminal;
    }

    /** Log lines on standard output, the bar on standard error, redrawn in place on a terminal. */
    public static ConsoleProgress console() {
        return new ConsoleProgress(System.out, System.err, ProgressBar.stderrIsTerminal());
    }

    @Override
    public void logged(String line) {
        endBar();
        out.println(line);
    }

    @Override
    public void epochStarted(int epoch, int epochs, int steps) {
        endBar();
        out.println("Epoch " + epoch + "/" + epochs);
        bar = new ProgressBar(progress, terminal, steps, PLAIN_EVERY_SECONDS);
    }

    @Override
    public void stepFinished(Step step) {
        if (bar == null) {
            return;
        }
        bar.update(step.step(), String.format(Locale.ROOT, "accuracy: %.4f - loss: %.4f", step.accuracy(), step.loss())
                + (step.runEta().isEmpty() ? "" : " - " + step.runEta()));
        if (step.step() == step.steps()) {
            endBar();
        }
    }

    private void endBar() {
        if (bar != null) {
            bar.finish();
            bar = null;
        }
    }
}
