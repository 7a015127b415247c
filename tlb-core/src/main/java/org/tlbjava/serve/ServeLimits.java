package org.tlbjava.serve;

import org.tlbjava.TlbException;

/**
 * How the server runs its models, how it batches, and what it accepts.
 *
 * @param engine what runs the models' batches
 * @param workers threads per model that take batches from its queue, each on one core (one per
 *     core serves both cores; one alone leaves the second to HTTP and image decoding); with the
 *     PyTorch engine each has its own copy of the model
 * @param batchSize most requests for one model that go through the network in one pass
 * @param maxBatchDelayMs how long a batch waits for more requests after its first (DJL Serving's max_batch_delay)
 * @param maxQueue requests waiting per model before new ones get 503
 * @param timeoutMs how long a request waits for its prediction before it gets 503
 * @param maxBodyBytes largest request body
 * @param maxPixels largest image (width x height), checked from the header before decoding
 */
public record ServeLimits(Engine engine, int workers, int batchSize, int maxBatchDelayMs, int maxQueue, int timeoutMs,
        long maxBodyBytes, long maxPixels) {
    public static final ServeLimits DEFAULT = new ServeLimits(Engine.ONNX, Runtime.getRuntime().availableProcessors(),
            32, 5, 256, 30_000, 10L << 20, 40_000_000L);

    /**
     * ONNX: the network exported in memory and run by ONNX Runtime, one session shared by the
     * workers (several times PyTorch's throughput on small batches, docs/PERFORMANCE.md).
     * PYTORCH: the model as training runs it, one copy per worker.
     */
    public enum Engine {
        ONNX, PYTORCH;

        /** The engine named {@code name} (onnx or pytorch, any case). */
        public static Engine of(String name) {
            for (Engine engine : values()) {
                if (engine.name().equalsIgnoreCase(name)) {
                    return engine;
                }
            }
            throw new TlbException("--engine must be onnx or pytorch, got '" + name + "'");
        }
    }

    public ServeLimits {
        if (engine == null) {
            throw new TlbException("serve limits need an engine");
        }
        if (workers < 1 || batchSize < 1 || maxBatchDelayMs < 0 || maxQueue < 1 || timeoutMs < 1 || maxBodyBytes < 1
                || maxPixels < 1) {
            throw new TlbException("serve limits must be positive (max_batch_delay may be 0): workers " + workers
                    + ", batch_size " + batchSize
                    + ", max_batch_delay " + maxBatchDelayMs + ", queue " + maxQueue + ", timeout " + timeoutMs
                    + ", max body " + maxBodyBytes + ", max pixels " + maxPixels);
        }
    }

    public ServeLimits withBatching(int size, int delayMs) {
        return new ServeLimits(engine, workers, size, delayMs, maxQueue, timeoutMs, maxBodyBytes, maxPixels);
    }

    public ServeLimits withEngine(Engine runner) {
        return new ServeLimits(runner, workers, batchSize, maxBatchDelayMs, maxQueue, timeoutMs, maxBodyBytes, maxPixels);
    }

    public ServeLimits withWorkers(int count) {
        return new ServeLimits(engine, count, batchSize, maxBatchDelayMs, maxQueue, timeoutMs, maxBodyBytes, maxPixels);
    }
}
