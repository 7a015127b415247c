package org.tlbjava.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Keras-style feedback on a stream: the run's log lines, "Epoch 3/30", and a progress bar per
 * epoch redrawn in place on a terminal (a plain line every 30 s on a pipe or file).
 */
public final class ConsoleProgress implements TrainingListener {
    private static final double PLAIN_EVERY_SECONDS = 30;
    private final PrintStream out;
    private final boolean terminal;
    private ProgressBar bar;

    public ConsoleProgress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** On standard output, redrawn in place when it is a terminal. */
    public static ConsoleProgress stdout() {
        return new ConsoleProgress(System.out, ProgressBar.stdoutIsTerminal());
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
        bar = new ProgressBar(out, terminal, steps, PLAIN_EVERY_SECONDS);
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
