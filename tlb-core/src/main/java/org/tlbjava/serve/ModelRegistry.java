package org.tlbjava.serve;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.tlbjava.TlbException;
import org.tlbjava.explain.OnnxClassifier;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;

/**
 * The runs a server shows and the models it serves: every run directory directly inside a runs
 * directory, plus runs named one by one. A run is known by its directory's name; a name is only
 * ever looked up among these, never joined onto a path, so no name can reach outside them.
 * Models are loaded on first use and kept, each with its own {@link DynamicBatcher} of
 * {@code workers} threads (over one ONNX Runtime session, or one PyTorch copy per worker).
 */
public final class ModelRegistry implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /**
     * A model: its PyTorch copies, its ONNX Runtime session when that engine serves it (else
     * null), the batcher over them, and the batcher of attention requests over the first copy,
     * one at a time, with the same queue and timeout as predictions.
     */
    private record Loaded(List<TlbClassifier> copies, OnnxClassifier onnx, DynamicBatcher<Prediction> batcher,
            DynamicBatcher<float[][]> attention) {}

    private final Path runsDir;
    private final Map<String, Path> named = new LinkedHashMap<>();
    private final ServeLimits limits;
    private final Map<String, Loaded> loaded = new LinkedHashMap<>();

    /**
     * @param runsDir directory of run directories, or null
     * @param runs single run directories served besides those in {@code runsDir}
     */
    public ModelRegistry(Path runsDir, List<Path> runs, ServeLimits limits) {
        this.runsDir = runsDir;
        this.limits = limits;
        if (runsDir != null && !Files.isDirectory(runsDir)) {
            throw new TlbException("--runs " + runsDir + " is not a directory");
        }
        for (Path run : runs) {
            if (!Files.isRegularFile(run.resolve("config.json"))) {
                throw new TlbException("--model " + run + " is not a tlb run directory: it has no config.json");
            }
            String name = run.toAbsolutePath().normalize().getFileName().toString();
            if (!NAME.matcher(name).matches()) {
                throw new TlbException("--model " + run + ": the directory name '" + name + "' is not usable in a URL"
                        + " (letters, digits, '.', '_', '-')");
            }
            if (named.put(name, run) != null) {
                throw new TlbException("--model " + run + ": another --model is also named '" + name + "'");
            }
        }
    }

    /** Every run, by name: the named ones first, then the runs directory's in name order. */
    public List<RunInfo> runs() {
        List<RunInfo> runs = new ArrayList<>();
        named.forEach((name, dir) -> runs.add(new RunInfo(name, dir)));
        for (String name : runsDirNames()) {
            if (!named.containsKey(name)) {
                runs.add(new RunInfo(name, runsDir.resolve(name)));
            }
        }
        return runs;
    }

    private List<String> runsDirNames() {
        if (runsDir == null) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(runsDir)) {
            return children.filter(dir -> Files.isRegularFile(dir.resolve("config.json")))
                    .map(dir -> dir.getFileName().toString())
                    .filter(name -> NAME.matcher(name).matches())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new TlbException("cannot list " + runsDir + ": " + e.getMessage());
        }
    }

    /** The run called {@code name}; 404 when there is none. */
    public RunInfo run(String name) {
        if (name != null && NAME.matcher(name).matches()) {
            if (named.containsKey(name)) {
                return new RunInfo(name, named.get(name));
            }
            if (runsDirNames().contains(name)) {
                return new RunInfo(name, runsDir.resolve(name));
            }
        }
        throw ApiError.notFound("no run or model named '" + name + "'");
    }

    /** The model of run {@code name}, loaded on first use. */
    public TlbClassifier classifier(String name) {
        return load(name).copies().get(0);
    }

    public DynamicBatcher<Prediction> batcher(String name) {
        return load(name).batcher();
    }

    public DynamicBatcher<float[][]> attention(String name) {
        return load(name).attention();
    }

    /** The loaded models none of whose workers is running any more. */
    public synchronized List<String> stopped() {
        List<String> names = new ArrayList<>();
        loaded.forEach((name, model) -> {
            if (!model.batcher().running() || !model.attention().running()) {
                names.add(name);
            }
        });
        return names;
    }

    private synchronized Loaded load(String name) {
        Loaded model = loaded.get(name);
        if (model == null) {
            RunInfo run = run(name);
            if (!Files.exists(run.dir().resolve("model.params"))) {
                throw ApiError.notFound("run '" + name + "' has no trained model yet (no epoch has finished)");
            }
            boolean onnx = limits.engine() == ServeLimits.Engine.ONNX;
            List<TlbClassifier> copies = new ArrayList<>();
            OnnxClassifier session;
            try {
                for (int i = 0; i < (onnx ? 1 : limits.workers()); i++) {
                    copies.add(TlbClassifier.load(run.dir()));
                }
                session = onnx ? copies.get(0).onnxRuntime() : null;
            } catch (TlbException e) {
                copies.forEach(TlbClassifier::close);
                throw ApiError.internal("model '" + name + "' cannot be loaded: " + e.getMessage());
            }
            List<Function<List<BufferedImage>, List<Prediction>>> workers = new ArrayList<>();
            for (int i = 0; i < limits.workers(); i++) {
                TlbClassifier copy = onnx ? null : copies.get(i);
                workers.add(onnx ? session::predictAll : images -> OneEngineThread.call(() -> copy.predictAll(images)));
            }
            TlbClassifier first = copies.get(0);
            Function<List<BufferedImage>, List<float[][]>> attention = images -> images.stream()
                    .map(image -> OneEngineThread.call(() -> first.attention(image))).toList();
            model = new Loaded(copies, session, new DynamicBatcher<>(name, workers, limits),
                    new DynamicBatcher<>(name + "-attention-maps", List.of(attention), limits.withBatching(1, 0)));
            loaded.put(name, model);
        }
        return model;
    }

    @Override
    public synchronized void close() {
        for (Loaded model : loaded.values()) {
            model.batcher().close();
            model.attention().close();
            model.copies().forEach(TlbClassifier::close);
            if (model.onnx() != null) {
                model.onnx().close();
            }
        }
        loaded.clear();
    }
}
