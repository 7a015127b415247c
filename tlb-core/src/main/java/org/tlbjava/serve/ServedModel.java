package org.tlbjava.serve;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.tlbjava.explain.OnnxClassifier;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;

/**
 * A run's model as the server holds it: its PyTorch copies, its ONNX Runtime session when that
 * engine serves it (else null), a {@link DynamicBatcher} of {@code workers} threads over them,
 * and one of attention maps over the first copy, one image at a time, with the same queue and
 * timeout as predictions. Requests hold it through a
 * {@link Use}; once retired (its run's weights changed, or the run is gone) it takes no new
 * requests and is freed when the last one using it ends, so a reload never breaks a request.
 */
final class ServedModel {
    /** One request's hold on a model; closing it lets a retired model go. */
    record Use(ServedModel model) implements AutoCloseable {
        @Override
        public void close() {
            model.release();
        }
    }

    private final String name;
    private final List<TlbClassifier> copies;
    private final OnnxClassifier onnx;
    private final DynamicBatcher<Prediction> batcher;
    private final DynamicBatcher<float[][]> attention;
    private int users;
    private boolean retired;

    private ServedModel(String name, List<TlbClassifier> copies, OnnxClassifier onnx, ServeLimits limits) {
        this.name = name;
        this.copies = copies;
        this.onnx = onnx;
        List<Function<List<BufferedImage>, List<Prediction>>> workers = new ArrayList<>();
        for (int i = 0; i < limits.workers(); i++) {
            TlbClassifier copy = onnx != null ? null : copies.get(i);
            workers.add(onnx != null ? onnx::predictAll : images -> OneEngineThread.call(() -> copy.predictAll(images)));
        }
        this.batcher = new DynamicBatcher<>(name, workers, limits);
        TlbClassifier first = copies.get(0);
        Function<List<BufferedImage>, List<float[][]>> maps = images -> images.stream()
                .map(image -> OneEngineThread.call(() -> first.attention(image))).toList();
        this.attention = new DynamicBatcher<>(name + "-attention-maps", List.of(maps), limits.withBatching(1, 0));
    }

    /** Loads the model of {@code run} for the engine and workers of {@code limits}. */
    static ServedModel load(RunInfo run, ServeLimits limits) {
        run.config(); // read through RunInfo first: it refuses links out of the run and quotes no content
        run.classes();
        boolean onnx = limits.engine() == ServeLimits.Engine.ONNX;
        List<TlbClassifier> copies = new ArrayList<>();
        try {
            for (int i = 0; i < (onnx ? 1 : limits.workers()); i++) {
                copies.add(TlbClassifier.load(run.dir()));
            }
            return new ServedModel(run.name(), copies, onnx ? copies.get(0).onnxRuntime() : null, limits);
        } catch (RuntimeException e) {
            copies.forEach(TlbClassifier::close);
            throw e;
        }
    }

    List<String> classes() {
        return copies.get(0).classes();
    }

    DynamicBatcher<Prediction> batcher() {
        return batcher;
    }

    DynamicBatcher<float[][]> attention() {
        return attention;
    }

    /** Whether both batchers still have a worker taking requests. */
    boolean running() {
        return batcher.running() && attention.running();
    }

    synchronized Use use() {
        users++;
        return new Use(this);
    }

    private synchronized void release() {
        users--;
        freeIfUnused();
    }

    /** Takes no new requests (the registry forgets it) and is freed once the last one ends. */
    synchronized void retire() {
        retired = true;
        freeIfUnused();
    }

    private void freeIfUnused() {
        if (retired && users == 0) {
            // off the request's thread: the batcher waits for its workers to stop
            Thread unload = new Thread(this::free, "unload-" + name);
            unload.setDaemon(true);
            unload.start();
        }
    }

    /** Stops the batchers and closes the engines' copies. */
    void free() {
        batcher.close();
        attention.close();
        copies.forEach(TlbClassifier::close);
        if (onnx != null) {
            onnx.close();
        }
    }
}
