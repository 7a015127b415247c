package org.tlbjava.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.config.ConfigResolver;
import org.tlbjava.config.RunConfig;
import org.tlbjava.config.TrainConfig;
import org.tlbjava.data.DataSource;
import org.tlbjava.data.Splits;
import org.tlbjava.explain.AttentionSheet;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.model.Kernels;
import org.tlbjava.serve.RunReport;

/**
 * Training from Java, with the lifecycle {@code tlb train} has:
 * <pre>
 *   RunConfig config = RunConfig.load(Path.of("my.json"));   // or RunConfig.defaults().with("epochs=10")
 *   Run run = Training.start(config, DataSource.at(Path.of("photos")), Path.of("runs/photos"),
 *           ConsoleProgress.console());
 *   try (TlbClassifier classifier = run.bestModel()) {
 *       System.out.println(classifier.predict(image).className());
 *   }
 * </pre>
 * Configs come from {@link org.tlbjava.config.ConfigResolver}, which also applies the facts of
 * the data here. A new run goes into a new or empty directory; the data's classes set
 * {@code num_classes}, and a batch left at its default shrinks to give small data ten steps an epoch. A run that fails
 * before its first checkpoint leaves no directory behind (when it made it); one stopped through
 * its {@link RunControl} or killed continues with {@link #resume}, exactly as if never
 * interrupted. While it trains, {@code progress.json} says where it is ({@link RunProgress}); the
 * report ({@code report.html}) is written at the end.
 *
 * <p>A run can also be trained by several processes, each one worker of a {@link WorkerGroup}:
 * {@link #start(RunConfig, Batch, DataSource, Path, Launcher, TrainingListener...)} writes the new
 * run's start files and hands the directory to a {@link Launcher}, which starts the processes;
 * each calls {@link #resume(Path, Resume, WorkerGroup, TrainingListener...)} on it, and worker 0
 * writes it.
 */
public final class Training {
    /** Validation images whose attention the end of a run draws, as {@code tlb attention}'s default. */
    private static final int ATTENTION_IMAGES = 8;

    private Training() {}

    /** How {@link #resume} continues a run: {@code epochs} to extend it to (null: as configured), other data, --force. */
    public record Resume(Integer epochs, DataSource data, boolean force) {
        /** Continue as recorded: the run's own epochs and data. */
        public static Resume asRecorded() {
            return new Resume(null, null, false);
        }
    }

    /** Trains a run directory holding a new run's start files elsewhere: the workers of a {@link WorkerGroup}. */
    public interface Launcher {
        /** Trains the run in {@code dir} to its end, or as far as it got before it stopped; returns it. */
        Run train(Path dir) throws IOException;
    }

    /** Whether a run's batch_size is kept as it is, or shrunk to give small data ten steps an epoch. */
    public enum Batch {
        /** The user chose it: kept, or refused (naming the size that fits) when an epoch's images cannot fill it. */
        CHOSEN,
        /** Left at its default: shrunk when it gives fewer than ten steps an epoch. */
        ADAPTED;

        /** CHOSEN when {@code config}'s batch_size is not the default. */
        public static Batch of(RunConfig config) {
            return config.train().batchSize() != RunConfig.defaults().train().batchSize() ? CHOSEN : ADAPTED;
        }
    }

    /**
     * Trains a new run of {@code config} on {@code data} into {@code out}; the caller's config is
     * not changed. A batch_size other than the default counts as chosen.
     */
    public static Run start(RunConfig config, DataSource data, Path out, TrainingListener... listeners) throws IOException {
        return start(config, Batch.of(config), data, out, listeners);
    }

    /** {@link #start(RunConfig, DataSource, Path, TrainingListener...)}, saying whether the batch size was chosen. */
    public static Run start(RunConfig config, Batch batch, DataSource data, Path out, TrainingListener... listeners)
            throws IOException {
        return start(config, batch, data, out, null, listeners);
    }

    /**
     * {@link #start(RunConfig, Batch, DataSource, Path, TrainingListener...)}, trained by
     * {@code launcher} (null: in this process) once the start files are written; the directory
     * is removed again when the launch fails before a checkpoint, as a run in this process's is.
     */
    public static Run start(RunConfig config, Batch batch, DataSource data, Path out, Launcher launcher,
            TrainingListener... listeners) throws IOException {
        List<TrainingListener> all = List.of(listeners);
        RunControl control = announce(all);
        checkNewRunDirectory(out);
        Splits splits = data.load(config);
        BatchSizing.Fit fit = BatchSizing.fit(config.train().batchSize(), splits.train().size(), batch == Batch.CHOSEN);
        fit.note().ifPresent(note -> all.forEach(l -> l.logged(note)));
        RunConfig fitted = ConfigResolver.from(config)
                .dataClasses(splits.classes().size(), splits.source())
                .set("batch_size", fit.batch(), "the batch fitted to the data")
                .resolve();
        // A fact of this machine, recorded with the run so that a resumed run keeps to the same path.
        Kernels.Choice kernels = Kernels.forTraining(fitted);
        if (TrainConfig.AUTO_KERNELS.equals(fitted.train().kernels())) {
            all.forEach(l -> l.logged("Kernels: " + kernels.description()));
        }
        RunConfig c = ConfigResolver.from(fitted)
                .set("kernels", kernels.fused() ? TrainConfig.FUSED : TrainConfig.EAGER, "the kernels chosen at start")
                .resolve();
        boolean created = !Files.exists(out);
        RunDirectory run = new RunDirectory(out);
        try {
            run.writeStart(c, splits.classes(), DataRecord.of(data.path(), splits));
            all.forEach(l -> l.logged("Run directory: " + out));
            return launcher != null ? launcher.train(out) : fit(c, splits, run, data, all, control, null);
        } catch (IOException | RuntimeException | Error e) {
            if (created && !run.hasCheckpoint()) {
                AtomicFiles.deleteTree(out); // nothing of value was written
            }
            throw e;
        }
    }

    /** Continues the run in {@code dir} after its last completed epoch, on the data it recorded. */
    public static Run resume(Path dir, TrainingListener... listeners) throws IOException {
        return resume(dir, Resume.asRecorded(), listeners);
    }

    /**
     * Continues the run in {@code dir} after its last completed epoch. Data whose images or labels
     * differ from the recorded fingerprint is refused unless {@code force}.
     */
    public static Run resume(Path dir, Resume how, TrainingListener... listeners) throws IOException {
        return resume(dir, how, null, listeners);
    }

    /**
     * {@link #resume(Path, Resume, TrainingListener...)} as worker {@code group.rank()} of
     * {@code group} (null: alone): every worker trains its share of each batch from the last
     * checkpoint, or from the start when there is none; worker 0 alone writes {@code dir}.
     */
    public static Run resume(Path dir, Resume how, WorkerGroup group, TrainingListener... listeners) throws IOException {
        List<TrainingListener> all = List.of(listeners);
        RunControl control = announce(all);
        RunDirectory run = new RunDirectory(dir);
        RunConfig config = how.epochs() == null ? run.readConfig()
                : ConfigResolver.from(run.readConfig()).set("epochs", how.epochs(), "--epochs " + how.epochs()).resolve();
        DataRecord recorded = run.readData();
        DataSource data = how.data() != null || recorded == null ? how.data() : new DataSource(recorded.path());
        if (data == null) {
            data = DataSource.standard(); // a run written before data records
        }
        Splits splits = data.load(config);
        if (!splits.classes().equals(run.readClasses())) {
            throw new TlbException("the data at " + splits.source() + " has classes " + splits.classes()
                    + " but the run in " + dir + " was trained on " + run.readClasses());
        }
        DataRecord found = DataRecord.of(data.path(), splits);
        if (recorded != null && recorded.fingerprint() != null && !recorded.fingerprint().equals(found.fingerprint())) {
            if (!how.force()) {
                throw new TlbException("the data at " + found.path() + " is not the data " + dir + " started on ("
                        + recorded.path() + "): its images or labels differ (fingerprint " + shortHash(found)
                        + ", recorded " + shortHash(recorded) + "); pass --force to train on it anyway");
            }
            all.forEach(l -> l.logged("Resuming on different data (--force): " + found.path() + " instead of "
                    + recorded.path()));
        }
        return fit(config, splits, run, data, all, control, group);
    }

    /** The run's control, given to every listener before anything else happens, so that a stop can come at any time. */
    private static RunControl announce(List<TrainingListener> listeners) {
        RunControl control = new RunControl();
        listeners.forEach(l -> l.started(control));
        return control;
    }

    private static Run fit(RunConfig config, Splits splits, RunDirectory run, DataSource data,
            List<TrainingListener> listeners, RunControl control, WorkerGroup group) throws IOException {
        if (!Trainer.writes(group)) {
            List<EpochRecord> history = new Trainer(config, splits, run, listeners, control, group)
                    .fit(data.root().toString());
            return new Run(run.path(), history, config.train().epochs());
        }
        RunProgress progress = new RunProgress(run.path());
        List<TrainingListener> all = new ArrayList<>(listeners);
        all.add(progress);
        Trainer trainer = new Trainer(config, splits, run, all, control, group);
        List<EpochRecord> history = List.of();
        try {
            history = trainer.fit(data.root().toString());
        } finally {
            progress.ended(history.size() >= config.train().epochs());
        }
        Consumer<String> say = line -> listeners.forEach(l -> l.logged(line));
        trainer.finalValidation().ifPresent(val -> explainFinalModel(run.path(), splits, val, say));
        RunReport.writeAfterTraining(run.path(), say);
        return new Run(run.path(), history, config.train().epochs());
    }

    /**
     * The pictures {@code tlb evaluate} and {@code tlb attention} draw, for the final model on its
     * validation sample, so that a finished run's report is complete. A picture that cannot be
     * written is a warning: the run itself is done.
     */
    private static void explainFinalModel(Path dir, Splits splits, Evaluation val, Consumer<String> say) {
        EvaluationReport report = EvaluationReport.of(val, splits.classes());
        Path attention = dir.resolve("attention");
        try (TlbClassifier classifier = TlbClassifier.load(dir)) {
            Path confusion = report.write(dir, dir, "val");
            say.accept("Confusion matrix (val split, " + report.images() + " images): " + confusion);
            int[] first = IntStream.range(0, Math.min(ATTENTION_IMAGES, splits.val().size())).toArray();
            AttentionSheet.write(classifier, AttentionSheet.items(splits.val(), first, "val"), attention);
            say.accept("Attention (" + first.length + " val images): " + AttentionSheet.grid(attention));
        } catch (IOException | TlbException e) {
            say.accept("warning: could not draw the final model's pictures in " + dir + ": " + e.getMessage());
        }
    }

    /**
     * A new run goes into a directory that does not exist yet or is empty, never over other files.
     * What a run killed before it wrote config.json left (its start files) does not count.
     */
    private static void checkNewRunDirectory(Path dir) throws IOException {
        if (Files.exists(dir.resolve("config.json"))) {
            throw new UsageException(dir + " already holds a run; use --resume " + dir + " or another --out");
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageException("--out " + dir + " is a file, not a directory");
        }
        if (Files.isDirectory(dir)) {
            try (var entries = Files.list(dir)) {
                if (entries.anyMatch(entry -> !RunDirectory.isStartLeftover(entry))) {
                    throw new UsageException("--out " + dir + " is a directory with other files in it and not a"
                            + " tlb run; choose a new or empty directory");
                }
            }
        }
    }

    private static String shortHash(DataRecord record) {
        return record.fingerprint().substring(0, 12);
    }
}
