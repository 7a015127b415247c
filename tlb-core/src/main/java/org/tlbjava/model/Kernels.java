package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.tlbjava.TlbException;
import org.tlbjava.config.ModelConfig;
import org.tlbjava.config.RunConfig;
import org.tlbjava.config.TrainConfig;

/**
 * Which path runs the recurrent cell: {@code kernels=fused} or {@code eager} as set, and for
 * {@code auto} whichever trains faster on this machine, by a probe run once per network in a
 * process: training passes of a small batch on each path, alternated, one per worker thread at
 * once with one engine thread each (as data-parallel workers train), the medians compared.
 */
public final class Kernels {
    /** The path chosen and why, for the log. */
    public record Choice(boolean fused, String description) {}

    /** Images per probe pass, or the batch if smaller: eager's fixed cost per operation weighs more in small passes. */
    private static final int PROBE_IMAGES = 64;
    /** Probe rounds; the first two (compiling the fused kernels, warming the engine) are not counted. */
    private static final int PROBE_ROUNDS = 5;
    /** What a probe measured depends on: the network, the images per pass, the workers. */
    private record Probe(ModelConfig model, int images, int workers) {}

    private static final Map<Probe, Choice> PROBED = new HashMap<>();

    private Kernels() {}

    /** Whether this JVM can run the fused kernels: they need the incubating Vector API module. */
    public static boolean available() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * The path {@code config} trains on here. A run that asks for the fused kernels gets them or
     * stops: a run keeps to one path, so that it resumes exactly.
     */
    public static Choice forTraining(RunConfig config) {
        Choice choice = choose(config);
        if (TrainConfig.FUSED.equals(config.train().kernels()) && !choice.fused()) {
            throw new TlbException("kernels=fused needs the JVM option --add-modules jdk.incubator.vector"
                    + " (./tlb passes it)");
        }
        return choice;
    }

    /**
     * The path {@code config} runs on here. Without the Vector API module it is the eager one,
     * which computes the same function (within float rounding).
     */
    public static Choice choose(RunConfig config) {
        String kernels = config.train().kernels();
        if (TrainConfig.EAGER.equals(kernels)) {
            return new Choice(false, "eager (kernels=eager)");
        }
        if (!available()) {
            return new Choice(false, "eager (kernels=" + kernels + ", but the fused kernels need the JVM option"
                    + " --add-modules jdk.incubator.vector)");
        }
        if (TrainConfig.FUSED.equals(kernels)) {
            return new Choice(true, "fused (kernels=fused)");
        }
        int workers = config.train().workers() > 0 ? config.train().workers() : Runtime.getRuntime().availableProcessors();
        Probe probe = new Probe(config.model(), Math.min(PROBE_IMAGES, config.train().batchSize()), workers);
        synchronized (PROBED) {
            return PROBED.computeIfAbsent(probe, p -> probe(config, p.images(), p.workers()));
        }
    }

    private static Choice probe(RunConfig config, int count, int workers) {
        int engineThreads = EngineTuning.setThreads(1);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try (NDManager manager = NDManager.newBaseManager()) {
            List<TlbModel> eager = new ArrayList<>();
            List<TlbModel> fused = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                eager.add(probeModel(config.with("kernels=eager"), manager));
                fused.add(probeModel(config.with("kernels=fused"), manager));
            }
            int size = config.model().imageSize();
            NDArray images = manager.randomUniform(0, 1, new Shape(count, 3, size, size));
            List<Double> eagerMs = new ArrayList<>();
            List<Double> fusedMs = new ArrayList<>();
            for (int round = 0; round < PROBE_ROUNDS; round++) {
                double e = timePasses(pool, eager, images, manager);
                double f = timePasses(pool, fused, images, manager);
                if (round > 1) {
                    eagerMs.add(e);
                    fusedMs.add(f);
                }
            }
            double e = median(eagerMs);
            double f = median(fusedMs);
            return new Choice(f < e, String.format(Locale.ROOT, "%s (kernels=auto: a %d-image training pass on each of %d"
                    + " workers took %.0f ms fused, %.0f ms eager)", f < e ? "fused" : "eager", count, workers, f, e));
        } finally {
            pool.shutdownNow();
            EngineTuning.setThreads(engineThreads);
        }
    }

    private static TlbModel probeModel(RunConfig config, NDManager manager) {
        TlbModel model = TlbModel.create(config, manager);
        for (Pair<String, Parameter> p : model.getParameters()) {
            p.getValue().getArray().setRequiresGradient(true);
        }
        return model;
    }

    /** Wall milliseconds of one training pass of each model at once, each on a thread of its own as data-parallel workers run. */
    private static double timePasses(ExecutorService pool, List<TlbModel> models, NDArray images, NDManager manager) {
        long start = System.nanoTime();
        List<Future<?>> passes = new ArrayList<>();
        for (TlbModel model : models) {
            passes.add(pool.submit(() -> {
                JniUtils.setGradMode(true); // thread-local in the engine, as a training worker sets it
                try (NDScope temporaries = new NDScope()) {
                    model.train(new ParameterStore(manager, false), images, logits -> logits.sum());
                }
            }));
        }
        for (Future<?> pass : passes) {
            try {
                pass.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TlbException("interrupted while probing the kernels");
            } catch (ExecutionException e) {
                throw new TlbException("the kernels probe failed: " + e.getCause(), e.getCause());
            }
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
