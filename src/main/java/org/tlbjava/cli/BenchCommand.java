package org.tlbjava.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.ndarray.NDScope;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.TlbException;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.data.BatchLoader;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.ImageSet;
import org.tlbjava.model.TlbModel;
import org.tlbjava.train.AdamW;
import org.tlbjava.train.DataParallel;
import org.tlbjava.train.Evaluation;
import org.tlbjava.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
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

    @Option(names = "--only", description = "Phases to run: train, infer, data (default: all).", split = ",")
    List<String> only = List.of("data", "infer", "train");

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (batchSize <= 0 || steps <= 0) {
            throw new TlbException("--batch-size and --steps must be positive");
        }
        TlbConfig config = configOptions.resolve();
        config.batchSize = batchSize;
        config.validate();
        ImageSet images = images(config);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("batch_size", batchSize);
        result.put("threads", Runtime.getRuntime().availableProcessors());
        if (only.contains("data")) {
            result.put("data_images_per_sec", dataRate(images, config));
        }
        Trainer trainer = new Trainer(config, null, null, System.out, false);
        result.put("workers", trainer.workers());
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = TlbModel.create(config, manager);
            if (only.contains("infer")) {
                // Evaluation's way: a batch of batch_size images per worker at a time.
                try (DataParallel workers = new DataParallel(model, manager, trainer.workers())) {
                    result.put("infer_images_per_sec", median(timeSteps(images, config, workers.workers(),
                            group -> workers.map(group.size(), false, (item, replica, ps) -> {
                                try (NDScope temporaries = new NDScope()) {
                                    return replica.forward(ps, Evaluation.images(manager, group.get(item), config),
                                            false).toFloatArray();
                                }
                            }))));
                }
            }
            if (only.contains("train")) {
                for (Pair<String, Parameter> p : model.getParameters()) {
                    p.getValue().getArray().setRequiresGradient(true);
                }
                AdamW optimizer = new AdamW(model.getParameters(), manager, config.learningRate, config.weightDecay);
                try (DataParallel workers = new DataParallel(model, manager, trainer.workers())) {
                    result.put("micro_batch_size", trainer.microBatchSize());
                    result.put("train_images_per_sec", median(timeSteps(images, config, 1,
                            group -> trainer.trainStep(workers, optimizer, manager, group.get(0)))));
                }
            }
        }
        result.put("peak_rss_mb", peakRssMb());
        for (Map.Entry<String, Object> e : result.entrySet()) {
            System.out.printf(Locale.ROOT, "%-22s %s%n", e.getKey(), e.getValue());
        }
        if (json) {
            System.out.println(Json.line(result));
        }
        return 0;
    }

    private ImageSet images(TlbConfig config) {
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

    /** Augmented images/s on one thread, building training batches. */
    private double dataRate(ImageSet images, TlbConfig config) {
        BatchLoader loader = BatchLoader.training(images, config, batchSize, 0);
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i <= steps; i++) {
            long start = System.nanoTime();
            loader.build(i % loader.batchCount());
            if (i > 0) {
                rates.add(batchSize / ((System.nanoTime() - start) / 1e9));
            }
        }
        return median(rates);
    }

    private interface Step {
        void run(List<Batch> batches);
    }

    /** Images/s of each measured step of {@code perStep} batches, after one warm-up step. */
    private List<Double> timeSteps(ImageSet images, TlbConfig config, int perStep, Step step) {
        BatchLoader loader = BatchLoader.training(images, config, batchSize, 0);
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i <= steps; i++) {
            List<Batch> batches = new ArrayList<>();
            for (int b = 0; b < perStep; b++) {
                batches.add(loader.build((i * perStep + b) % loader.batchCount()));
            }
            long start = System.nanoTime();
            step.run(batches);
            double rate = perStep * batchSize / ((System.nanoTime() - start) / 1e9);
            if (i > 0) {
                rates.add(rate);
            }
            System.out.printf(Locale.ROOT, "  step %d: %.1f images/s%s%n", i, rate, i == 0 ? " (warm-up)" : "");
        }
        return rates;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        double m = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return Math.round(m * 10) / 10.0;
    }

    /** VmHWM from /proc: the process's peak resident memory, native allocations included. */
    static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
