package org.tlbjava.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import org.tlbjava.TlbException;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.Splits;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.train.EpochRecord;
import org.tlbjava.train.ProgressBar;
import org.tlbjava.train.RunDirectory;
import org.tlbjava.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a TLB classifier (defaults: the reference's 30-epoch CIFAR-10 run), or resume one.")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--data", paramLabel = "DIR", description = "CIFAR-10 directory or archive, or an image folder.")
    String data;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/<timestamp>).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR after its last completed epoch.")
    Path resume;

    @Option(names = "--epochs", description = "Epochs in total (with --resume: extends the run to this many).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Images per optimizer step.")
    Integer batchSize;

    @Option(names = "--lr", description = "AdamW learning rate.")
    Double learningRate;

    @Option(names = "--train-limit", paramLabel = "N", description = "Use only the first N training images (config key train_limit).")
    Integer trainLimit;

    @Option(names = "--val-limit", paramLabel = "N", description = "Use only the first N validation images (config key val_limit).")
    Integer valLimit;

    @Override
    public Integer call() throws IOException {
        return resume != null ? resumeRun() : newRun();
    }

    private Integer newRun() throws IOException {
        TlbConfig config = configOptions.resolve();
        if (epochs != null) {
            config.epochs = epochs;
        }
        if (batchSize != null) {
            config.batchSize = batchSize;
        }
        if (learningRate != null) {
            config.learningRate = learningRate;
        }
        if (trainLimit != null) {
            config.set("train_limit=" + trainLimit);
        }
        if (valLimit != null) {
            config.set("val_limit=" + valLimit);
        }
        config.validate();
        Splits splits = new DataLocator().load(data, config);
        config.numClasses = splits.classes().size();
        Path dir = out != null ? out : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (Files.exists(dir.resolve("config.json"))) {
            throw new TlbException(dir + " already holds a run; use --resume " + dir + " or another --out");
        }
        boolean created = !Files.exists(dir);
        RunDirectory run = new RunDirectory(dir);
        run.writeStart(config, splits.classes());
        System.out.println("Run directory: " + dir);
        try {
            return report(new Trainer(config, splits, run, System.out, ProgressBar.stdoutIsTerminal())
                    .fit(DataLocator.root(data).toString()), dir);
        } catch (TlbException e) {
            if (created && !run.hasCheckpoint()) {
                AtomicFiles.deleteTree(dir); // nothing of value was written
            }
            throw e;
        }
    }

    private Integer resumeRun() throws IOException {
        if (configOptions.given() || batchSize != null || learningRate != null || trainLimit != null
                || valLimit != null) {
            throw new TlbException("--resume continues " + resume + " with its own config and data; options that"
                    + " change the model, data or optimizer (--config, --set, --batch-size, --lr, --train-limit,"
                    + " --val-limit) are not allowed with it (only --epochs and --data)");
        }
        RunDirectory run = new RunDirectory(resume);
        TlbConfig config = run.readConfig();
        if (epochs != null) {
            config.epochs = epochs;
        }
        config.validate();
        Splits splits = new DataLocator().load(data, config);
        if (!splits.classes().equals(run.readClasses())) {
            throw new TlbException("the data at " + splits.source() + " has classes " + splits.classes()
                    + " but the run in " + resume + " was trained on " + run.readClasses());
        }
        return report(new Trainer(config, splits, run, System.out, ProgressBar.stdoutIsTerminal())
                .fit(DataLocator.root(data).toString()), resume);
    }

    private static Integer report(List<EpochRecord> history, Path dir) {
        org.tlbjava.serve.RunReport.writeAfterTraining(dir, System.out);
        if (!history.isEmpty()) {
            EpochRecord last = history.get(history.size() - 1);
            System.out.printf(java.util.Locale.ROOT, "Done: %d epochs, val_accuracy %.4f%n", last.epoch(), last.valAccuracy());
        }
        return 0;
    }
}
