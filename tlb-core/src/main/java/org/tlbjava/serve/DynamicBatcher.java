package org.tlbjava.serve;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching as DJL Serving does it: a worker takes the first waiting request, waits up
 * to {@code max_batch_delay} for more (up to {@code batch_size}), and runs them all in one
 * forward pass. Several workers (threads, each with its own batch function) take from one
 * queue, so while one runs a batch the next collects one. Requests wait in a bounded queue; a full queue
 * refuses new ones at once, so an overloaded server answers 503 instead of piling up latency.
 *
 * @param <T> what the batch function gives for each image (a prediction, an attention map)
 */
public final class DynamicBatcher<T> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    private record Job<T>(BufferedImage image, CompletableFuture<T> result) {}

    private final String name;
    private final ServeLimits limits;
    private final BlockingQueue<Job<T>> queue;
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicInteger largestBatch = new AtomicInteger();
    private volatile boolean closed;

    /** One worker per element of {@code models}, each a function that runs a batch. */
    public DynamicBatcher(String name, List<Function<List<BufferedImage>, List<T>>> models, ServeLimits limits) {
        this.name = name;
        this.limits = limits;
        this.queue = new ArrayBlockingQueue<>(limits.maxQueue());
        for (int i = 0; i < models.size(); i++) {
            Function<List<BufferedImage>, List<T>> runAll = models.get(i);
            Thread worker = new Thread(() -> loop(runAll), "batcher-" + name + "-" + i);
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);
    }

    /** Queues an image; the future completes with its result. Throws 503 when the queue is full. */
    public CompletableFuture<T> submit(BufferedImage image) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (closed || !queue.offer(new Job<>(image, result))) {
            throw ApiError.busy("the queue of " + name + " is full (" + limits.maxQueue() + " requests waiting); retry later");
        }
        return result;
    }

    /** The most images run in one forward pass so far: whether batching happens under the load seen. */
    public int largestBatch() {
        return largestBatch.get();
    }

    /** Whether any worker is still taking batches. */
    public boolean running() {
        return workers.stream().anyMatch(Thread::isAlive);
    }

    private void loop(Function<List<BufferedImage>, List<T>> runAll) {
        while (!closed) {
            try {
                List<Job<T>> batch = collect();
                largestBatch.accumulateAndGet(batch.size(), Math::max);
                runBatch(runAll, batch);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private List<Job<T>> collect() throws InterruptedException {
        List<Job<T>> batch = new ArrayList<>();
        batch.add(queue.take());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.maxBatchDelayMs());
        while (batch.size() < limits.batchSize()) {
            Job<T> next = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (next == null) {
                break;
            }
            batch.add(next);
        }
        batch.removeIf(job -> job.result().isDone()); // timed out or cancelled while waiting
        return batch;
    }

    /**
     * Runs one batch. An {@link Error} (an OutOfMemoryError from a huge image, say) fails this
     * batch's requests only: its memory is free again once the batch is dropped, and a worker
     * that died of it would leave the model without one for good.
     */
    private void runBatch(Function<List<BufferedImage>, List<T>> runAll, List<Job<T>> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            List<T> results = runAll.apply(batch.stream().map(Job::image).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(results.get(i));
            }
        } catch (RuntimeException e) {
            batch.forEach(job -> job.result().completeExceptionally(e));
        } catch (Error e) {
            LOG.error("a batch of model {} failed; its worker goes on", name, e);
            batch.forEach(job -> job.result().completeExceptionally(e));
        }
    }

    @Override
    public void close() {
        closed = true;
        workers.forEach(Thread::interrupt);
        try {
            for (Thread worker : workers) {
                worker.join(10_000); // let a running batch finish before the model is closed
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        queue.forEach(job -> job.result().completeExceptionally(ApiError.busy("the server is shutting down")));
    }
}
