package org.tlbjava.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.Splits;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.train.BatchSizing;
import org.tlbjava.train.DataRecord;
import org.tlbjava.train.EpochRecord;
import org.tlbjava.train.ProgressBar;
import org.tlbjava.train.RunDirectory;
import org.tlbjava.train.Trainer;
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

    @Override
    public Integer call() throws IOException {
        return resume != null ? resumeRun() : newRun();
    }

    private Integer newRun() throws IOException {
        if (force) {
            throw new UsageException("--force only applies to --resume");
        }
        TlbConfig config = configOptions.resolve();
        imageSizeOption.apply(config, data);
        boolean batchChosen = batchSize != null || config.batchSize != new TlbConfig().batchSize;
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
        Path dir = out != null ? out : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        checkNewRunDirectory(dir);
        Splits splits = new DataLocator().load(data, config);
        config.numClasses = splits.classes().size();
        String batchNote = BatchSizing.adapt(config, splits.train().size(), batchChosen);
        if (batchNote != null) {
            System.out.println(batchNote);
        }
        boolean created = !Files.exists(dir);
        RunDirectory run = new RunDirectory(dir);
        run.writeStart(config, splits.classes(), DataRecord.of(dataPath(data), splits));
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

    private Integer resumeRun() throws IOException {
        if (configOptions.given() || imageSizeOption.given() || batchSize != null || learningRate != null || trainLimit != null
                || valLimit != null || out != null) {
            throw new UsageException("--resume continues " + resume + " with its own config and data; options that"
                    + " change the model, data, optimizer or place (--config, --set, --image-size, --batch-size, --lr, --train-limit,"
                    + " --val-limit, --out) are not allowed with it (only --epochs, --data and --force)");
        }
        RunDirectory run = new RunDirectory(resume);
        TlbConfig config = run.readConfig();
        if (epochs != null) {
            config.epochs = epochs;
        }
        config.validate();
        DataRecord recorded = run.readData();
        String dataOption = data != null || recorded == null ? data : recorded.path();
        Splits splits = new DataLocator().load(dataOption, config);
        if (!splits.classes().equals(run.readClasses())) {
            throw new TlbException("the data at " + splits.source() + " has classes " + splits.classes()
                    + " but the run in " + resume + " was trained on " + run.readClasses());
        }
        DataRecord found = DataRecord.of(dataPath(dataOption), splits);
        if (recorded != null && recorded.fingerprint() != null && !recorded.fingerprint().equals(found.fingerprint())) {
            if (!force) {
                throw new TlbException("the data at " + found.path() + " is not the data " + resume + " started on ("
                        + recorded.path() + "): its images or labels differ (fingerprint " + shortHash(found)
                        + ", recorded " + shortHash(recorded) + "); pass --force to train on it anyway");
            }
            System.out.println("Resuming on different data (--force): " + found.path() + " instead of " + recorded.path());
        }
        return report(new Trainer(config, splits, run, System.out, ProgressBar.stdoutIsTerminal())
                .fit(DataLocator.root(dataOption).toString()), resume);
    }

    private static String dataPath(String dataOption) {
        return DataLocator.root(dataOption).toAbsolutePath().normalize().toString();
    }

    private static String shortHash(DataRecord record) {
        return record.fingerprint().substring(0, 12);
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
