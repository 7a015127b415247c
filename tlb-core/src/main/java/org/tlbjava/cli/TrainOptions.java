package org.tlbjava.cli;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.tlbjava.UsageException;
import org.tlbjava.config.ConfigResolver;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataSource;
import org.tlbjava.train.EpochRecord;
import org.tlbjava.train.Run;
import org.tlbjava.train.Training;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of {@code tlb train}, shared with {@code tlb-spark train}: a new run's config and place, or the run to resume. */
public final class TrainOptions {
    @Mixin
    ConfigOptions configOptions;

    @Mixin
    ImageSizeOption imageSizeOption;

    @Option(names = "--data", paramLabel = "DIR", description = "CIFAR-10 directory or archive, or an image folder (default: $TLB_DATA, else ~/.cache/tlb).")
    String data;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/<timestamp>).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR after its last completed epoch.")
    Path resume;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs in total (default 30; with --resume: extends the run to this many).")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "N", description = "Images per optimizer step (default 2048; when left at it, smaller data gets a batch giving 10 steps an epoch).")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "RATE", description = "AdamW learning rate (default 1e-4).")
    Double learningRate;

    @Option(names = "--train-limit", paramLabel = "N", description = "Use a seeded class-stratified sample of N training images (default: all; config key train_limit).")
    Integer trainLimit;

    @Option(names = "--val-limit", paramLabel = "N", description = "Use a seeded class-stratified sample of N validation images (default: all; config key val_limit).")
    Integer valLimit;

    @Option(names = "--force", description = "With --resume: train on --data even when it differs from the data the run started on.")
    boolean force;

    @Option(names = "--json", description = "End with one JSON line: the run directory, epochs done, last and best val_accuracy.")
    boolean json;

    /** A new run as the options describe it: its config, whether its batch was chosen, its data and directory. */
    public record NewRun(RunConfig config, Training.Batch batch, DataSource data, Path out) {}

    /** --data as given, or null. */
    public String data() {
        return data;
    }

    /** Reads the data from {@code local} in place of --data as given (tlb-spark: this machine's copy of a Hadoop path). */
    public void readDataFrom(String local) {
        data = local;
    }

    /** The run directory to continue, or null for a new run. */
    public Path resume() {
        return resume;
    }

    /** The config layers of a new run, every option applied; a caller may add its own before {@link #newRun}. */
    public ConfigResolver layers() {
        if (force) {
            throw new UsageException("--force only applies to --resume");
        }
        ConfigResolver layers = configOptions.layers();
        imageSizeOption.apply(layers, data);
        flag(layers, "epochs", epochs, "--epochs");
        flag(layers, "batch_size", batchSize, "--batch-size");
        flag(layers, "learning_rate", learningRate, "--lr");
        flag(layers, "train_limit", trainLimit, "--train-limit");
        flag(layers, "val_limit", valLimit, "--val-limit");
        return layers;
    }

    /** The new run of {@code layers}, into --out or runs/<timestamp>. */
    public NewRun newRun(ConfigResolver layers) {
        RunConfig config = layers.resolve();
        Path dir = out != null ? out : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Training.Batch batch = batchSize != null ? Training.Batch.CHOSEN : Training.Batch.of(config);
        return new NewRun(config, batch, new DataSource(data), dir);
    }

    private static void flag(ConfigResolver layers, String key, Object value, String option) {
        if (value != null) {
            layers.set(key, value, option + " " + value);
        }
    }

    /** How --resume continues its run; refuses the options that would change it. */
    public Training.Resume resumeHow() {
        if (configOptions.given() || imageSizeOption.given() || batchSize != null || learningRate != null || trainLimit != null
                || valLimit != null || out != null) {
            throw new UsageException("--resume continues " + resume + " with its own config and data; options that"
                    + " change the model, data, optimizer or place (--config, --set, --image-size, --batch-size, --lr, --train-limit,"
                    + " --val-limit, --out) are not allowed with it (only --epochs, --data and --force)");
        }
        return new Training.Resume(epochs, data == null ? null : new DataSource(data), force);
    }

    /** Prints the end of a run: its last epoch, and with --json one line describing it. Returns the exit code. */
    public int report(Run run) {
        if (!run.history().isEmpty()) {
            EpochRecord last = run.history().get(run.history().size() - 1);
            System.out.printf(Locale.ROOT, "Done: %d epochs, val_accuracy %.4f%n", last.epoch(), last.valAccuracy());
        }
        if (json) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("run", run.directory().toString());
            line.put("epochs", run.history().size());
            line.put("finished", run.finished());
            boolean none = run.history().isEmpty();
            line.put("val_accuracy", none ? null : run.history().get(run.history().size() - 1).valAccuracy());
            line.put("best_val_accuracy", none ? null : run.history().stream().mapToDouble(EpochRecord::valAccuracy).max().getAsDouble());
            System.out.println(Json.line(line));
        }
        return 0;
    }
}
