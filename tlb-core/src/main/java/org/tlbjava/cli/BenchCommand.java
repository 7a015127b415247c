package org.tlbjava.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
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
import org.tlbjava.UsageException;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.data.BatchLoader;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.ImageSet;
import org.tlbjava.model.EngineTuning;
import org.tlbjava.model.PartTimes;
import org.tlbjava.model.TlbModel;
import org.tlbjava.train.DataParallel;
import org.tlbjava.train.Evaluation;
import org.tlbjava.train.Optimizer;
import org.tlbjava.train.Trainer;
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
        result.put("variant", config.variant);
        result.put("compute", EngineTuning.tune(config.mixedPrecision).description());
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
                Optimizer optimizer = new Optimizer(config, model, manager, steps + 1);
                try (DataParallel workers = new DataParallel(model, manager, trainer.workers())) {
                    result.put("micro_batch_size", trainer.microBatchSize());
                    result.put("train_images_per_sec", median(timeSteps(images, config, 1,
                            group -> trainer.trainStep(workers, optimizer, manager, group.get(0)))));
                    if (breakdown) {
                        result.put("breakdown_ms", breakdown(config, manager, model, trainer, workers, optimizer, images));
                    }
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

    /**
     * Prints where a training step's time goes: each part of one micro-batch pass timed alone on
     * this thread with one engine thread (a worker's view), the whole pass, the optimizer
     * update, and the data loader's time per batch (on its own thread, overlapping the step).
     */
    private Map<String, Double> breakdown(TlbConfig config, NDManager manager, TlbModel model, Trainer trainer,
            DataParallel workers, Optimizer optimizer, ImageSet images) {
        int micro = trainer.microBatchSize();
        int repeats = Math.max(3, steps);
        int engineThreads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        Map<String, Double> ms = new LinkedHashMap<>();
        System.out.printf(Locale.ROOT, "%nOne training pass (forward + backward) of a micro-batch of %d on one engine thread:%n", micro);
        System.out.printf(Locale.ROOT, "  %-34s %6s %9s %9s%n", "part", "calls", "ms/call", "ms/pass");
        double parts = 0;
        for (PartTimes.Part part : PartTimes.measure(config, manager, micro, repeats)) {
            System.out.printf(Locale.ROOT, "  %-34s %6d %9.3f %9.1f%n", part.name(), part.callsPerPass(), part.msPerCall(),
                    part.msPerPass());
            ms.put(part.name(), round(part.msPerPass()));
            parts += part.msPerPass();
        }
        Batch batch = BatchLoader.training(images, config, micro, 0).build(0); // one micro-batch: one worker's pass
        List<Double> pass = new ArrayList<>();
        List<Double> update = new ArrayList<>();
        for (int i = 0; i <= repeats; i++) {
            long start = System.nanoTime();
            trainer.accumulateGradients(workers, manager, batch);
            long middle = System.nanoTime();
            optimizer.step(workers);
            if (i > 0) {
                pass.add((middle - start) / 1e6);
                update.add((System.nanoTime() - middle) / 1e6);
            }
        }
        double whole = median(pass);
        System.out.printf(Locale.ROOT, "  %-34s %26.1f%n", "sum of the parts", parts);
        System.out.printf(Locale.ROOT, "  %-34s %26.1f%n", "whole pass, measured", whole);
        System.out.printf(Locale.ROOT, "  %-34s %26.1f%n", "glue (whole pass - parts)", whole - parts);
        double dataMs = round(batchSize / dataRate(images, config) * 1000);
        int passes = (batchSize + micro * workers.workers() - 1) / (micro * workers.workers());
        System.out.printf(Locale.ROOT, "A step of %d images: %d pass(es) per worker on %d workers, then the optimizer update"
                + " (gradient gather, AdamW, weight broadcast, on the workers' threads) %.1f ms; the data loader builds the batch in %.1f ms on its own"
                + " thread.%n%n", batchSize, passes, workers.workers(), median(update), dataMs);
        JniUtils.setNumThreads(engineThreads);
        ms.put("whole pass", round(whole));
        ms.put("glue", round(whole - parts));
        ms.put("optimizer update", median(update));
        ms.put("data per batch", dataMs);
        return ms;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
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
