package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CLI's progress as a listener: epoch headers, a bar that ends on the last step, log lines after it. */
class ConsoleProgressTest {
    @Test
    void onAPipeEachEpochGetsItsHeaderAndFinalBarLineThenTheLogLines() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteArrayOutputStream bars = new ByteArrayOutputStream();
        ConsoleProgress progress = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8),
                new PrintStream(bars, true, StandardCharsets.UTF_8), false);
        progress.logged("Model: keras variant");
        progress.epochStarted(1, 2, 3);
        for (int step = 1; step <= 3; step++) {
            progress.stepFinished(new TrainingListener.Step(1, step, 3, 2.5, 0.25, 1e-4, step < 3 ? "" : "run ends ~12:00", -1));
        }
        progress.logged("epoch 1 - val_accuracy: 0.3000");
        progress.epochStarted(2, 2, 3);
        progress.stepFinished(new TrainingListener.Step(2, 1, 3, 2.0, 0.5, 1e-4, "", -1));
        progress.logged("Stopped during epoch 2, which is dropped");
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

        assertEquals(List.of("Model: keras variant", "Epoch 1/2", "epoch 1 - val_accuracy: 0.3000", "Epoch 2/2",
                "Stopped during epoch 2, which is dropped"), lines, "the log holds no progress line");
        List<String> barLines = bars.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(1, barLines.size(), "on a pipe, steps print every 30 s and at the end: " + barLines);
        String last = barLines.get(0);
        assertTrue(last.startsWith("3/3 ━━━━━━━━━━━━━━━━━━━━") && last.endsWith("accuracy: 0.2500 - loss: 2.5000 - run ends ~12:00"),
                last);
        assertFalse(bars.toString(StandardCharsets.UTF_8).contains("\r"), "no in-place redraws on a pipe");
    }

    /** On a terminal the bar is redrawn in place, and a log line first ends it, even mid-epoch. */
    @Test
    void onATerminalTheBarIsRedrawnAndEndedBeforeALogLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(bytes, true, StandardCharsets.UTF_8); // a terminal shows both streams
        ConsoleProgress progress = new ConsoleProgress(both, both, true);
        progress.epochStarted(1, 1, 4);
        progress.stepFinished(new TrainingListener.Step(1, 1, 4, 2.5, 0.25, 1e-4, "", -1));
        progress.stepFinished(new TrainingListener.Step(1, 2, 4, 2.4, 0.5, 1e-4, "", -1));
        progress.logged("Stopped during epoch 1, which is dropped");
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("Epoch 1/1\n\r1/4 "), out);
        assertTrue(out.contains("\r2/4 "), out);
        assertTrue(out.endsWith("\033[K\nStopped during epoch 1, which is dropped\n"), out);
    }
}
