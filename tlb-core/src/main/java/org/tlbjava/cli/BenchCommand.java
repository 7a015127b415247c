package org.tlbjava.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.bench.TrainingBenchmark;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.ImageSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = ServeBenchCommand.class,
        description = "Measure training, inference and data-pipeline images/s and peak memory (medians after warm-up).")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--data", paramLabel = "DIR", description = "Dataset to draw images from (synthetic images when none is found).")
    String data;

    @Option(names = "--batch-size", description = "Images per step (default ${DEFAULT-VALUE}).", defaultValue = "256")
    int batchSize;

    @Option(names = "--steps", description = "Measured steps per phase after one warm-up step (default ${DEFAULT-VALUE}).", defaultValue = "5")
    int steps;

    private static final List<String> PHASES = List.of("data", "infer", "train");

    @Option(names = "--only", description = "Phases to run: train, infer, data (default: all).", split = ",")
    List<String> only = PHASES;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Option(names = "--breakdown", description = "Also time each part of a training pass alone (one engine thread).")
    boolean breakdown;

    @Override
    public Integer call() throws IOException {
        if (batchSize <= 0 || steps <= 0) {
            throw new UsageException("--batch-size and --steps must be positive");
        }
        for (String phase : only) {
            if (!PHASES.contains(phase)) {
                throw new UsageException("--only: unknown phase '" + phase + "' (expected train, infer or data)");
            }
        }
        RunConfig config = configOptions.layers().set("batch_size", batchSize, "--batch-size").resolve();
        Map<String, Object> result = new TrainingBenchmark(config, images(config), steps, System.out).run(only, breakdown);
        for (Map.Entry<String, Object> e : result.entrySet()) {
            System.out.printf(Locale.ROOT, "%-22s %s%n", e.getKey(), e.getValue());
        }
        if (json) {
            System.out.println(Json.line(result));
        }
        return 0;
    }

    private ImageSet images(RunConfig config) {
        try {
            ImageSet train = new DataLocator().load(data, config).train();
            System.out.println("Images: " + train.size() + " from the training split");
            return train;
        } catch (TlbException e) {
            System.out.println("No dataset found (" + e.getMessage() + "); using synthetic images");
            int n = Math.max(batchSize * 2, 1024);
            byte[] pixels = new byte[n * 3 * 32 * 32];
            new java.util.Random(1).nextBytes(pixels);
            int[] labels = new int[n];
            Arrays.setAll(labels, i -> i % 10);
            List<String> classes = new ArrayList<>();
            for (int c = 0; c < 10; c++) {
                classes.add("class" + c);
            }
            return new ImageSet(pixels, labels, 32, 32, classes);
        }
    }
}
