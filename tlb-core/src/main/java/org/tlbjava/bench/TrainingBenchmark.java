package org.tlbjava.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.data.BatchLoader;
import org.tlbjava.data.ImageSet;
import org.tlbjava.config.TrainConfig;
import org.tlbjava.model.EngineTuning;
import org.tlbjava.model.Kernels;
import org.tlbjava.model.PartTimes;
import org.tlbjava.model.TlbModel;
import org.tlbjava.train.DataParallel;
import org.tlbjava.train.Evaluation;
import org.tlbjava.train.Optimizer;
import org.tlbjava.train.TrainStep;

/**
 * Training, inference and data-pipeline images/s of a config on real or synthetic images, as
 * {@code tlb bench} reports them: one warm-up step, then the median of the measured steps. The
 * training steps are {@link TrainStep}'s, the ones a run takes.
 */
public final class TrainingBenchmark {
    private final RunConfig config;
    private final ImageSet images;
    private final int steps;
    private final PrintStream out;
    private final TrainStep trainStep;

    /** Benchmarks {@code config} (its batch_size is the batch measured) on {@code images}, printing each step to {@code out}. */
    public TrainingBenchmark(RunConfig config, ImageSet images, int steps, PrintStream out) {
        this.config = config;
        this.images = images;
        this.steps = steps;
        this.out = out;
        this.trainStep = new TrainStep(config);
    }

    /** The chosen phases (data, infer, train; breakdown adds train's parts), as named figures in order. */
    public Map<String, Object> run(List<String> phases, boolean breakdown) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("batch_size", config.train().batchSize());
        result.put("threads", Runtime.getRuntime().availableProcessors());
        if (phases.contains("data")) {
            result.put("data_images_per_sec", dataRate());
        }
        result.put("workers", trainStep.workers());
        result.put("variant", config.model().variant());
        result.put("compute", EngineTuning.tune(config.train().mixedPrecision()).description());
        Kernels.Choice choice = Kernels.choose(config);
        result.put("recurrent_cell", choice.description());
        String chosen = choice.fused() ? TrainConfig.FUSED : TrainConfig.EAGER;
        List<String> paths = paths(chosen);
        boolean both = paths.size() > 1;
        for (String path : paths) {
            RunConfig pathConfig = config.with("kernels=" + path);
            try (NDManager manager = NDManager.newBaseManager()) {
                TlbModel model = TlbModel.create(pathConfig, manager);
                if (phases.contains("infer")) {
                    out.printf(Locale.ROOT, "Inference, %s kernels:%n", path);
                    // Evaluation's way: a batch of batch_size images per worker at a time.
                    try (DataParallel workers = new DataParallel(model, manager, trainStep.workers())) {
                        double rate = median(timeSteps(workers.workers(),
                                group -> workers.map(group.size(), false, (item, replica, ps) -> {
                                    try (NDScope temporaries = new NDScope()) {
                                        return replica.forward(ps, Evaluation.images(manager, group.get(item), config),
                                                false).toFloatArray();
                                    }
                                })));
                        record(result, "infer_images_per_sec", path, chosen, both, rate);
                    }
                }
                if (phases.contains("train")) {
                    out.printf(Locale.ROOT, "Training, %s kernels:%n", path);
                    for (Pair<String, Parameter> p : model.getParameters()) {
                        p.getValue().getArray().setRequiresGradient(true);
                    }
                    Optimizer optimizer = new Optimizer(pathConfig, model, manager, steps + 1);
                    try (DataParallel workers = new DataParallel(model, manager, trainStep.workers())) {
                        result.put("micro_batch_size", trainStep.microBatchSize());
                        record(result, "train_images_per_sec", path, chosen, both, median(timeSteps(1,
                                group -> trainStep.run(workers, optimizer, manager, group.get(0)))));
                        if (breakdown && path.equals(chosen)) {
                            result.put("breakdown_ms", breakdown(manager, workers, optimizer));
                        }
                    }
                }
            }
        }
        result.put("peak_rss_mb", peakRssMb());
        return result;
    }

    /**
     * The paths to measure: both where {@code kernels=auto} leaves the choice to a probe and this
     * JVM can run the fused kernels (the chosen one first), else the one that runs.
     */
    private List<String> paths(String chosen) {
        if (!TrainConfig.AUTO_KERNELS.equals(config.train().kernels()) || !Kernels.available()) {
            return List.of(chosen);
        }
        return chosen.equals(TrainConfig.FUSED) ? List.of(TrainConfig.FUSED, TrainConfig.EAGER)
                : List.of(TrainConfig.EAGER, TrainConfig.FUSED);
    }

    /** {@code key} for the path that runs, and {@code key_<path>} for each path when both are measured. */
    private static void record(Map<String, Object> result, String key, String path, String chosen, boolean both,
            double rate) {
        if (path.equals(chosen)) {
            result.put(key, rate);
        }
        if (both) {
            result.put(key + "_" + path, rate);
        }
    }

    /**
     * Prints where a training step's time goes: each part of one micro-batch pass timed alone on
     * this thread with one engine thread (a worker's view), the whole pass, the optimizer
     * update, and the data loader's time per batch (on its own thread, overlapping the step).
     */
    private Map<String, Double> breakdown(NDManager manager, DataParallel workers, Optimizer optimizer) {
        int micro = trainStep.microBatchSize();
        int repeats = Math.max(3, steps);
        int engineThreads = EngineTuning.setThreads(1);
        try {
            Map<String, Double> ms = new LinkedHashMap<>();
            out.printf(Locale.ROOT, "%nOne training pass (forward + backward) of a micro-batch of %d on one engine thread:%n",
                    micro);
            out.printf(Locale.ROOT, "  %-34s %6s %9s %9s%n", "part", "calls", "ms/call", "ms/pass");
            double parts = 0;
            for (PartTimes.Part part : PartTimes.measure(config, manager, micro, repeats)) {
                out.printf(Locale.ROOT, "  %-34s %6d %9.3f %9.1f%n", part.name(), part.callsPerPass(), part.msPerCall(),
                        part.msPerPass());
                ms.put(part.name(), round(part.msPerPass()));
                parts += part.msPerPass();
            }
            Batch batch = BatchLoader.training(images, config, micro, 0).build(0); // one micro-batch: one worker's pass
            List<Double> pass = new ArrayList<>();
            List<Double> update = new ArrayList<>();
            for (int i = 0; i <= repeats; i++) {
                long start = System.nanoTime();
                trainStep.accumulateGradients(workers, manager, batch);
                long middle = System.nanoTime();
                optimizer.step(workers);
                if (i > 0) {
                    pass.add((middle - start) / 1e6);
                    update.add((System.nanoTime() - middle) / 1e6);
                }
            }
            double whole = median(pass);
            out.printf(Locale.ROOT, "  %-34s %26.1f%n", "sum of the parts", parts);
            out.printf(Locale.ROOT, "  %-34s %26.1f%n", "whole pass, measured", whole);
            out.printf(Locale.ROOT, "  %-34s %26.1f%n", "glue (whole pass - parts)", whole - parts);
            double dataMs = round(config.train().batchSize() / dataRate() * 1000);
            int passes = (config.train().batchSize() + micro * workers.workers() - 1) / (micro * workers.workers());
            out.printf(Locale.ROOT, "A step of %d images: %d pass(es) per worker on %d workers, then the optimizer update"
                    + " (gradient gather, AdamW, weight broadcast, on the workers' threads) %.1f ms; the data loader builds"
                    + " the batch in %.1f ms on its own thread.%n%n", config.train().batchSize(), passes, workers.workers(),
                    median(update), dataMs);
            ms.put("whole pass", round(whole));
            ms.put("glue", round(whole - parts));
            ms.put("optimizer update", median(update));
            ms.put("data per batch", dataMs);
            return ms;
        } finally {
            EngineTuning.setThreads(engineThreads);
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** Augmented images/s on one thread, building training batches. */
    private double dataRate() {
        BatchLoader loader = BatchLoader.training(images, config, config.train().batchSize(), 0);
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i <= steps; i++) {
            long start = System.nanoTime();
            loader.build(i % loader.batchCount());
            if (i > 0) {
                rates.add(config.train().batchSize() / ((System.nanoTime() - start) / 1e9));
            }
        }
        return median(rates);
    }

    private interface Step {
        void run(List<Batch> batches);
    }

    /** Images/s of each measured step of {@code perStep} batches, after one warm-up step. */
    private List<Double> timeSteps(int perStep, Step step) {
        BatchLoader loader = BatchLoader.training(images, config, config.train().batchSize(), 0);
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i <= steps; i++) {
            List<Batch> batches = new ArrayList<>();
            for (int b = 0; b < perStep; b++) {
                batches.add(loader.build((i * perStep + b) % loader.batchCount()));
            }
            long start = System.nanoTime();
            step.run(batches);
            double rate = perStep * config.train().batchSize() / ((System.nanoTime() - start) / 1e9);
            if (i > 0) {
                rates.add(rate);
            }
            out.printf(Locale.ROOT, "  step %d: %.1f images/s%s%n", i, rate, i == 0 ? " (warm-up)" : "");
        }
        return rates;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return round(n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2);
    }

    /** VmHWM from /proc: the process's peak resident memory, native allocations included. */
    public static long peakRssMb() {
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
