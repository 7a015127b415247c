package example;

import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataSource;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.train.ConsoleProgress;
import org.tlbjava.train.EpochRecord;
import org.tlbjava.train.Run;
import org.tlbjava.train.RunControl;
import org.tlbjava.train.Training;
import org.tlbjava.train.TrainingListener;

/**
 * The README's "Java API" example, using only the public API: trains on an image folder, stops
 * after the first epoch (as a user's stop button would), resumes the run to its end, and
 * classifies an image with the best model.
 * Arguments: IMAGE_FOLDER RUN_DIR IMAGE [key=value config settings...].
 */
public final class TrainAndClassify {
    private TrainAndClassify() {}

    public static void main(String[] args) throws Exception {
        RunConfig config = RunConfig.defaults()           // the reference's settings
                .with(Arrays.copyOfRange(args, 3, args.length)); // key=value, as --set takes them
        Path photos = Path.of(args[0]);                   // one subfolder per class
        Path out = Path.of(args[1]);
        Run run = Training.start(config, DataSource.at(photos), out, ConsoleProgress.console(), new StopAfterFirstEpoch());
        if (!run.finished()) {
            run = Training.resume(out, ConsoleProgress.console());
        }
        try (TlbClassifier classifier = run.bestModel()) {
            Prediction p = classifier.predict(ImageIO.read(Path.of(args[2]).toFile()));
            System.out.printf("%s: %s (%.2f)%n", args[2], p.className(), p.probability());
        }
    }

    /** Stops the run once its first epoch is checkpointed; it stays resumable. */
    static final class StopAfterFirstEpoch implements TrainingListener {
        private RunControl control;

        @Override
        public void started(RunControl control) {
            this.control = control;
        }

        @Override
        public void epochFinished(EpochRecord record, boolean best) {
            if (record.epoch() == 1) {
                control.stop();
            }
        }
    }
}
