package org.tlbjava.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.cli.Json;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.DataSource;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.io.Csv;
import org.tlbjava.io.OutputFiles;
import org.tlbjava.model.EngineTuning;
import org.tlbjava.train.ConsoleProgress;
import org.tlbjava.train.EpochRecord;
import org.tlbjava.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Train a grid or list of configurations, one per Spark task with one engine thread, each into"
            + " its own run directory under --output; then write the table of configurations, best validation"
            + " accuracy and minutes (sweep.csv).",
            "--grid FILE: {\"grid\": {\"learning_rate\": [0.001, 0.0003], \"variant\": [\"keras\", \"paper\"]},"
            + " \"set\": {\"epochs\": 5}} (every combination), or {\"runs\": [{\"preset\": \"fast\"}, {…}]}."})
final class SweepCommand implements Callable<Integer> {
    static final String TABLE = "sweep.csv";

    @Mixin
    SparkOptions sparkOptions;

    @Option(names = "--grid", paramLabel = "FILE", required = true, description = "The configurations (JSON; see above).")
    Path grid;

    @Option(names = "--data", paramLabel = "DIR", description = "Training data, at the same path on every executor (default: $TLB_DATA, else ~/.cache/tlb).")
    String data;

    @Option(names = "--output", paramLabel = "DIR", required = true, description = "A new or empty directory every executor can write (a shared file system on a cluster).")
    Path output;

    @Option(names = "--max-configurations", paramLabel = "N", defaultValue = "100",
            description = "Refuse a grid of more configurations than this (default ${DEFAULT-VALUE}): each one is a training run.")
    int maxConfigurations;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    /** One configuration's outcome. */
    record Result(String run, Map<String, String> overrides, double bestValAccuracy, int epochs, double minutes,
            String error) implements Serializable {}

    @Override
    public Integer call() throws IOException {
        List<LinkedHashMap<String, String>> configurations = SweepGrid.read(grid, maxConfigurations);
        Path dataDir = DataLocator.root(data).toAbsolutePath().normalize();
        if (!Files.exists(dataDir)) {
            throw new UsageException("--data " + dataDir + " does not exist (a sweep does not download data; tlb data"
                    + " fetches CIFAR-10)");
        }
        requireEmpty(output);
        try {
            Files.createDirectories(output);
        } catch (IOException e) {
            throw OutputFiles.failure("--output " + output, e);
        }
        Path out = output.toAbsolutePath().normalize();
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < configurations.size(); i++) {
            runs.add(new Run(String.format(Locale.ROOT, "run-%03d", i + 1), configurations.get(i)));
        }
        List<Result> results;
        try (SparkOptions.Session session = sparkOptions.start("tlb-spark sweep")) {
            SparkSession spark = session.spark();
            System.out.println("Training " + runs.size() + " configurations into " + out);
            String dataPath = dataDir.toString(); // Strings: a task carries what it captures, and Paths are not serializable
            String outPath = out.toString();
            results = new JavaSparkContext(spark.sparkContext()).parallelize(runs, runs.size())
                    .map(run -> run.train(dataPath, Path.of(outPath))).collect();
        }
        String table = table(results);
        AtomicFiles.writeString(out.resolve(TABLE), csv(results));
        System.out.print(table);
        System.out.println("Table: " + out.resolve(TABLE));
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Result r : results) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("run", r.run());
                row.put("config", r.overrides());
                row.put("best_val_accuracy", Double.isNaN(r.bestValAccuracy()) ? null : r.bestValAccuracy());
                row.put("epochs", r.epochs());
                row.put("minutes", r.minutes());
                row.put("error", r.error());
                rows.add(row);
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("output", out.toString());
            line.put("runs", rows);
            System.out.println(Json.line(line));
        }
        return results.stream().allMatch(r -> r.error() == null) ? 0 : 1;
    }

    private static void requireEmpty(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageException("--output " + dir + " is a file, not a directory");
        }
        if (Files.isDirectory(dir)) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new UsageException("--output " + dir + " is not empty; choose a new or empty directory");
                }
            }
        }
    }

    /** One configuration to train, as a Spark task does it. */
    record Run(String name, LinkedHashMap<String, String> overrides) implements Serializable {
        /**
         * Trains into {@code out/name} through the library's lifecycle, as tlb train does (batch
         * adaptation, data checks, report), logging to {@code out/name.log}; any failure, an
         * engine {@code Error} included, is this configuration's row, not the sweep's end.
         */
        Result train(String data, Path out) {
            long start = System.nanoTime();
            try (PrintStream log = new PrintStream(Files.newOutputStream(out.resolve(name + ".log")), true,
                    StandardCharsets.UTF_8)) {
                log.println("Configuration: " + overrides);
                String error = null;
                org.tlbjava.train.Run run = null;
                Integer engineThreads = null;
                try {
                    engineThreads = EngineTuning.setThreads(1); // one engine thread per task: the tasks share the cores
                    run = Training.start(SweepGrid.config(overrides), DataSource.at(Path.of(data)), out.resolve(name),
                            new ConsoleProgress(log, log, false));
                } catch (TlbException | IOException e) {
                    error = e.getMessage();
                } catch (RuntimeException e) {
                    error = "internal error: " + e;
                } catch (Error e) { // UnsatisfiedLinkError, OutOfMemoryError: the configuration failed, the task lives on
                    error = "engine failure: " + e;
                } finally {
                    if (engineThreads != null) {
                        EngineTuning.setThreads(engineThreads);
                    }
                }
                if (error != null) {
                    log.println("error: " + error);
                    return new Result(name, overrides, Double.NaN, 0, minutes(start), error);
                }
                double best = run.history().stream().mapToDouble(EpochRecord::valAccuracy).max().orElse(Double.NaN);
                return new Result(name, overrides, best, run.history().size(), minutes(start), null);
            } catch (IOException e) {
                return new Result(name, overrides, Double.NaN, 0, minutes(start), "cannot write " + name + ".log: "
                        + e.getMessage());
            }
        }

        private static double minutes(long start) {
            return (System.nanoTime() - start) / 60e9;
        }
    }

    /** The override keys of all runs, in first-seen order: the table's configuration columns. */
    private static List<String> keys(List<Result> results) {
        Set<String> keys = new LinkedHashSet<>();
        results.forEach(r -> keys.addAll(r.overrides().keySet()));
        return new ArrayList<>(keys);
    }

    static String csv(List<Result> results) {
        List<String> keys = keys(results);
        StringBuilder s = new StringBuilder("run");
        keys.forEach(k -> s.append(',').append(Csv.field(k)));
        s.append(",best_val_accuracy,epochs,minutes,error\n");
        for (Result r : results) {
            s.append(r.run());
            keys.forEach(k -> s.append(',').append(Csv.field(r.overrides().getOrDefault(k, ""))));
            s.append(String.format(Locale.ROOT, ",%s,%d,%.2f,%s%n", Double.isNaN(r.bestValAccuracy()) ? ""
                    : String.format(Locale.ROOT, "%.4f", r.bestValAccuracy()), r.epochs(), r.minutes(),
                    r.error() == null ? "" : Csv.field(r.error())));
        }
        return s.toString();
    }

    /** The table for the terminal: one line per configuration. */
    static String table(List<Result> results) {
        List<String> keys = keys(results);
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-8s", "run"));
        keys.forEach(k -> s.append(String.format(Locale.ROOT, "  %-14s", k)));
        s.append("  best val acc  epochs  minutes\n");
        for (Result r : results) {
            s.append(String.format(Locale.ROOT, "%-8s", r.run()));
            keys.forEach(k -> s.append(String.format(Locale.ROOT, "  %-14s", r.overrides().getOrDefault(k, ""))));
            s.append(String.format(Locale.ROOT, "  %12s  %6d  %7.2f", Double.isNaN(r.bestValAccuracy()) ? "-"
                    : String.format(Locale.ROOT, "%.4f", r.bestValAccuracy()), r.epochs(), r.minutes()));
            s.append(r.error() == null ? "" : "  error: " + r.error()).append('\n');
        }
        return s.toString();
    }
}
