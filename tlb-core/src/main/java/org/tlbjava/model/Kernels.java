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
import org.tlbjava.config.ModelConfig;
import org.tlbjava.config.RunConfig;
import org.tlbjava.config.TrainConfig;

/**
 * Which path runs the recurrent cell: {@code kernels=fused} or {@code eager} as set, and for
 * {@code auto} whichever trains faster on this machine, by a probe run once per network in a
 * process: training passes of a small batch on each path, alternated, on one engine thread as a
 * worker has, the medians compared.
 */
public final class Kernels {
    /** The path chosen and why, for the log. */
    public record Choice(boolean fused, String description) {}

    private static final int PROBE_IMAGES = 32;
    private static final int PROBE_ROUNDS = 5;
    private static final Map<ModelConfig, Choice> PROBED = new HashMap<>();

    private Kernels() {}

    /** The path {@code config} runs on here. */
    public static Choice choose(RunConfig config) {
        String kernels = config.train().kernels();
        if (!"auto".equals(kernels)) {
            return new Choice(TrainConfig.FUSED.equals(kernels), kernels + " (kernels=" + kernels + ")");
        }
        synchronized (PROBED) {
            return PROBED.computeIfAbsent(config.model(), m -> probe(config));
        }
    }

    private static Choice probe(RunConfig config) {
        int engineThreads = EngineTuning.setThreads(1);
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel eager = probeModel(config.with("kernels=eager"), manager);
            TlbModel fused = probeModel(config.with("kernels=fused"), manager);
            int size = config.model().imageSize();
            NDArray images = manager.randomUniform(0, 1, new Shape(PROBE_IMAGES, 3, size, size));
            List<Double> eagerMs = new ArrayList<>();
            List<Double> fusedMs = new ArrayList<>();
            for (int round = 0; round < PROBE_ROUNDS; round++) {
                double e = timePass(eager, images, manager);
                double f = timePass(fused, images, manager);
                if (round > 0) { // the first round compiles the fused kernels
                    eagerMs.add(e);
                    fusedMs.add(f);
                }
            }
            double e = median(eagerMs);
            double f = median(fusedMs);
            return new Choice(f < e, String.format(Locale.ROOT, "%s (kernels=auto: a %d-image training pass took %.0f ms"
                    + " fused, %.0f ms eager on one thread)", f < e ? "fused" : "eager", PROBE_IMAGES, f, e));
        } finally {
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

    private static double timePass(TlbModel model, NDArray images, NDManager manager) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true); // thread-local in the engine, as a training worker sets it
        long start = System.nanoTime();
        try (NDScope temporaries = new NDScope()) {
            model.train(new ParameterStore(manager, false), images, logits -> logits.sum());
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
