package org.tlbjava.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.UsageException;
import org.tlbjava.config.ConfigResolver;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataSource;
import org.tlbjava.train.ConsoleProgress;
import org.tlbjava.train.EpochRecord;
import org.tlbjava.train.Run;
import org.tlbjava.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a TLB classifier (defaults: the reference's 30-epoch CIFAR-10 run), or resume one.",
            "Every config key, its default and meaning: tlb config."})
final class TrainCommand implements Callable<Integer> {
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

    @Override
    public Integer call() throws IOException {
        return report(resume != null ? resumeRun() : newRun());
    }

    private Run newRun() throws IOException {
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
        RunConfig config = layers.resolve();
        Path dir = out != null ? out : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Training.Batch batch = batchSize != null ? Training.Batch.CHOSEN : Training.Batch.of(config);
        return Training.start(config, batch, new DataSource(data), dir, ConsoleProgress.console());
    }

    private static void flag(ConfigResolver layers, String key, Object value, String option) {
        if (value != null) {
            layers.set(key, value, option + " " + value);
        }
    }

    private Run resumeRun() throws IOException {
        if (configOptions.given() || imageSizeOption.given() || batchSize != null || learningRate != null || trainLimit != null
                || valLimit != null || out != null) {
            throw new UsageException("--resume continues " + resume + " with its own config and data; options that"
                    + " change the model, data, optimizer or place (--config, --set, --image-size, --batch-size, --lr, --train-limit,"
                    + " --val-limit, --out) are not allowed with it (only --epochs, --data and --force)");
        }
        return Training.resume(resume, new Training.Resume(epochs, data == null ? null : new DataSource(data), force),
                ConsoleProgress.console());
    }

    private Integer report(Run run) {
        if (!run.history().isEmpty()) {
            EpochRecord last = run.history().get(run.history().size() - 1);
            System.out.printf(Locale.ROOT, "Done: %d epochs, val_accuracy %.4f%n", last.epoch(), last.valAccuracy());
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("run", run.directory().toString());
            out.put("epochs", run.history().size());
            out.put("finished", run.finished());
            boolean none = run.history().isEmpty();
            out.put("val_accuracy", none ? null : run.history().get(run.history().size() - 1).valAccuracy());
            out.put("best_val_accuracy", none ? null : run.history().stream().mapToDouble(EpochRecord::valAccuracy).max().getAsDouble());
            System.out.println(Json.line(out));
        }
        return 0;
    }
}
