package org.tlbjava.serve;

import java.util.ArrayList;
import java.util.List;
import org.tlbjava.UsageException;

/**
 * How the server runs its models, how it batches, and what it accepts. Each limit is named in
 * errors by its {@code tlb serve} option.
 *
 * @param engine what runs the models' batches
 * @param workers threads per model that take batches from its queue, each on one core (one per
 *     core serves both cores; one alone leaves the second to HTTP and image decoding); with the
 *     PyTorch engine each has its own copy of the model
 * @param batchSize most requests for one model that go through the network in one pass
 * @param maxBatchDelayMs how long a batch waits for more requests after its first (DJL Serving's max_batch_delay)
 * @param maxQueue requests waiting per model before new ones get 503
 * @param timeoutMs how long a request waits for its prediction (and attention map) before it gets 503
 * @param maxBodyBytes largest request body
 * @param maxPixels largest image (width x height), checked from the header before decoding
 * @param maxConnections open connections; further clients wait to be accepted
 * @param uploadTimeoutMs longest time a request's body may take to arrive (408 after it)
 * @param imageMemoryBytes bytes the decoded images of all requests in progress may hold together
 * @param decodeTimeoutMs longest time one image may take to decode (503 after it)
 */
public record ServeLimits(Engine engine, int workers, int batchSize, int maxBatchDelayMs, int maxQueue, int timeoutMs,
        long maxBodyBytes, long maxPixels, int maxConnections, int uploadTimeoutMs, long imageMemoryBytes,
        int decodeTimeoutMs) {
    private static final long MB = 1 << 20;

    /** Defaults; images may hold half the heap (a 40-megapixel 16-bit RGBA PNG decodes to 320 MB). */
    public static final ServeLimits DEFAULT = new ServeLimits(Engine.ONNX, Runtime.getRuntime().availableProcessors(),
            32, 5, 256, 30_000, 10L << 20, 40_000_000L, 512, 30_000, Runtime.getRuntime().maxMemory() / 2, 10_000);

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
            throw new UsageException("--engine must be onnx or pytorch, got '" + name + "'");
        }
    }

    public ServeLimits {
        if (engine == null) {
            throw new UsageException("serve limits need an engine");
        }
        List<String> problems = new ArrayList<>();
        positive(problems, "--workers", workers, workers);
        positive(problems, "--batch-size", batchSize, batchSize);
        if (maxBatchDelayMs < 0) {
            problems.add("--max-batch-delay must be 0 or more, got " + maxBatchDelayMs);
        }
        positive(problems, "--max-queue", maxQueue, maxQueue);
        positive(problems, "--timeout", timeoutMs, timeoutMs);
        positive(problems, "--max-body-mb", maxBodyBytes, Math.floorDiv(maxBodyBytes, MB));
        positive(problems, "--max-pixels", maxPixels, maxPixels);
        positive(problems, "--max-connections", maxConnections, maxConnections);
        positive(problems, "--upload-timeout", uploadTimeoutMs, uploadTimeoutMs);
        positive(problems, "--image-memory-mb", imageMemoryBytes, Math.floorDiv(imageMemoryBytes, MB));
        positive(problems, "--decode-timeout", decodeTimeoutMs, decodeTimeoutMs);
        if (!problems.isEmpty()) {
            throw new UsageException(String.join("; ", problems));
        }
    }

    /** {@code shown} is the value in the option's unit (MB for byte counts). */
    private static void positive(List<String> problems, String option, long value, long shown) {
        if (value < 1) {
            problems.add(option + " must be positive, got " + shown);
        }
    }

    public ServeLimits withBatching(int size, int delayMs) {
        return new ServeLimits(engine, workers, size, delayMs, maxQueue, timeoutMs, maxBodyBytes, maxPixels,
                maxConnections, uploadTimeoutMs, imageMemoryBytes, decodeTimeoutMs);
    }

    public ServeLimits withEngine(Engine runner) {
        return new ServeLimits(runner, workers, batchSize, maxBatchDelayMs, maxQueue, timeoutMs, maxBodyBytes, maxPixels,
                maxConnections, uploadTimeoutMs, imageMemoryBytes, decodeTimeoutMs);
    }

    public ServeLimits withWorkers(int count) {
        return new ServeLimits(engine, count, batchSize, maxBatchDelayMs, maxQueue, timeoutMs, maxBodyBytes, maxPixels,
                maxConnections, uploadTimeoutMs, imageMemoryBytes, decodeTimeoutMs);
    }

    /** These limits with another queue length and request timeout. */
    public ServeLimits withQueue(int length, int waitMs) {
        return new ServeLimits(engine, workers, batchSize, maxBatchDelayMs, length, waitMs, maxBodyBytes, maxPixels,
                maxConnections, uploadTimeoutMs, imageMemoryBytes, decodeTimeoutMs);
    }

    /** These limits with another connection cap and upload timeout. */
    public ServeLimits withConnections(int count, int uploadMs) {
        return new ServeLimits(engine, workers, batchSize, maxBatchDelayMs, maxQueue, timeoutMs, maxBodyBytes, maxPixels,
                count, uploadMs, imageMemoryBytes, decodeTimeoutMs);
    }

    /** These limits with another image memory budget and decode timeout. */
    public ServeLimits withImageMemory(long bytes, int decodeMs) {
        return new ServeLimits(engine, workers, batchSize, maxBatchDelayMs, maxQueue, timeoutMs, maxBodyBytes, maxPixels,
                maxConnections, uploadTimeoutMs, bytes, decodeMs);
    }
}
