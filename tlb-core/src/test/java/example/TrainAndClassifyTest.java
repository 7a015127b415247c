package example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataSource;
import org.tlbjava.train.EpochRecord;
import org.tlbjava.train.Run;
import org.tlbjava.train.RunControl;
import org.tlbjava.train.Training;
import org.tlbjava.train.TrainingListener;
import org.tlbjava.testing.Synthetic;

/** The README's Java example (also docs/JAVA_API.md) runs as printed, and its stopped-then-resumed run equals an uninterrupted one. */
class TrainAndClassifyTest {
    private static final String[] SMALL = {"epochs=3", "embed_dim=16", "key_dim=16", "num_layers=2",
        "image_size=32", "learning_rate=0.003", "mixed_precision=false"};

    @TempDir
    Path tmp;

    @Test
    void theExampleTrainsStopsResumesAndClassifies() throws Exception {
        Path photos = Synthetic.imageFolder(tmp.resolve("photos"), 20);
        Path image = photos.resolve("dog").resolve("dog-1.png");
        Path out = tmp.resolve("run");
        String[] args = new String[3 + SMALL.length];
        args[0] = photos.toString();
        args[1] = out.toString();
        args[2] = image.toString();
        System.arraycopy(SMALL, 0, args, 3, SMALL.length);
        String printed = stdout(() -> TrainAndClassify.main(args));

        assertTrue(printed.contains("Stopped after epoch 1 of 3; --resume continues it"), printed);
        assertTrue(printed.contains("Resuming " + out + " after epoch 1 of 3"), printed);
        assertTrue(printed.contains(image + ": "), printed);
        assertFalse(printed.contains("Exception"), printed);

        RunConfig config = RunConfig.defaults().with(SMALL);
        Path straight = tmp.resolve("straight");
        Run uninterrupted = Training.start(config, DataSource.at(photos), straight);
        assertTrue(uninterrupted.finished());
        assertEquals(3, uninterrupted.history().size());
        assertEquals(withoutSeconds(uninterrupted.history()), withoutSeconds(Training.resume(out).history()),
                "a finished run resumed changes nothing, and its history is the uninterrupted run's");
        assertArrayEquals(Files.readAllBytes(straight.resolve("model.params")), Files.readAllBytes(out.resolve("model.params")));

        Path cut = tmp.resolve("cut");
        StopAtStep stop = new StopAtStep(2, 2);
        Run stopped = Training.start(config, DataSource.at(photos), cut, stop);
        assertFalse(stopped.finished());
        assertEquals(1, stopped.history().size(), "epoch 2, stopped at its step 2, is dropped");
        assertTrue(stop.lines.contains("Stopped during epoch 2, which is dropped; --resume continues after epoch 1"),
                stop.lines.toString());
        assertEquals(withoutSeconds(uninterrupted.history()), withoutSeconds(Training.resume(cut).history()));
        assertArrayEquals(Files.readAllBytes(straight.resolve("model.params")), Files.readAllBytes(cut.resolve("model.params")));
    }

    /** Stops the run after step {@code step} of epoch {@code epoch}, and keeps the log lines. */
    private static final class StopAtStep implements TrainingListener {
        private final int epoch;
        private final int step;
        private final List<String> lines = new ArrayList<>();
        private RunControl control;

        StopAtStep(int epoch, int step) {
            this.epoch = epoch;
            this.step = step;
        }

        @Override
        public void started(RunControl control) {
            this.control = control;
        }

        @Override
        public void logged(String line) {
            lines.add(line);
        }

        @Override
        public void stepFinished(Step done) {
            if (done.epoch() == epoch && done.step() == step) {
                control.stop();
            }
        }
    }

    private static List<EpochRecord> withoutSeconds(List<EpochRecord> history) {
        return history.stream().map(r -> new EpochRecord(r.epoch(), r.loss(), r.accuracy(), r.valLoss(), r.valAccuracy(),
                0, r.learningRate(), r.stepLearningRates(), r.stepLosses())).toList();
    }

    private interface Body {
        void run() throws Exception;
    }

    private static String stdout(Body body) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(old);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
