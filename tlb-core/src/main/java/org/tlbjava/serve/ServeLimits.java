package org.tlbjava.serve;

import org.tlbjava.TlbException;

/**
 * How the server batches and what it accepts.
 *
 * @param batchSize most requests for one model that go through the network in one pass
 * @param maxBatchDelayMs how long a batch waits for more requests after its first (DJL Serving's max_batch_delay)
 * @param maxQueue requests waiting per model before new ones get 503
 * @param timeoutMs how long a request waits for its prediction before it gets 503
 * @param maxBodyBytes largest request body
 * @param maxPixels largest image (width x height), checked from the header before decoding
 */
public record ServeLimits(int batchSize, int maxBatchDelayMs, int maxQueue, int timeoutMs, long maxBodyBytes,
        long maxPixels) {
    public static final ServeLimits DEFAULT = new ServeLimits(32, 5, 256, 30_000, 10L << 20, 40_000_000L);

    public ServeLimits {
        if (batchSize < 1 || maxBatchDelayMs < 0 || maxQueue < 1 || timeoutMs < 1 || maxBodyBytes < 1 || maxPixels < 1) {
            throw new TlbException("serve limits must be positive (max_batch_delay may be 0): batch_size " + batchSize
                    + ", max_batch_delay " + maxBatchDelayMs + ", queue " + maxQueue + ", timeout " + timeoutMs
                    + ", max body " + maxBodyBytes + ", max pixels " + maxPixels);
        }
    }

    public ServeLimits withBatching(int size, int delayMs) {
        return new ServeLimits(size, delayMs, maxQueue, timeoutMs, maxBodyBytes, maxPixels);
    }
}
