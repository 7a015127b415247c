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
import org.tlbjava.explain.Prediction;

/**
 * Dynamic batching as DJL Serving does it: a worker takes the first waiting request, waits up
 * to {@code max_batch_delay} for more (up to {@code batch_size}), and classifies them all in one
 * forward pass. Several workers (threads, each with its own batch function) take from one
 * queue, so while one runs a batch the next collects one. Requests wait in a bounded queue; a full queue
 * refuses new ones at once, so an overloaded server answers 503 instead of piling up latency.
 */
public final class DynamicBatcher implements AutoCloseable {
    private record Job(BufferedImage image, CompletableFuture<Prediction> result) {}

    private final ServeLimits limits;
    private final BlockingQueue<Job> queue;
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicInteger largestBatch = new AtomicInteger();
    private volatile boolean closed;

    /** One worker per element of {@code models}, each a function that classifies a batch. */
    public DynamicBatcher(String name, List<Function<List<BufferedImage>, List<Prediction>>> models, ServeLimits limits) {
        this.limits = limits;
        this.queue = new ArrayBlockingQueue<>(limits.maxQueue());
        for (int i = 0; i < models.size(); i++) {
            Function<List<BufferedImage>, List<Prediction>> predictAll = models.get(i);
            Thread worker = new Thread(() -> loop(predictAll), "batcher-" + name + "-" + i);
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);
    }

    /** Queues an image; the future completes with its prediction. Throws 503 when the queue is full. */
    public CompletableFuture<Prediction> submit(BufferedImage image) {
        CompletableFuture<Prediction> result = new CompletableFuture<>();
        if (closed || !queue.offer(new Job(image, result))) {
            throw ApiError.busy("the model's queue is full (" + limits.maxQueue() + " requests waiting); retry later");
        }
        return result;
    }

    /** The most images classified in one forward pass so far: whether batching happens under the load seen. */
    public int largestBatch() {
        return largestBatch.get();
    }

    private void loop(Function<List<BufferedImage>, List<Prediction>> predictAll) {
        while (!closed) {
            try {
                List<Job> batch = collect();
                largestBatch.accumulateAndGet(batch.size(), Math::max);
                runBatch(predictAll, batch);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private List<Job> collect() throws InterruptedException {
        List<Job> batch = new ArrayList<>();
        batch.add(queue.take());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.maxBatchDelayMs());
        while (batch.size() < limits.batchSize()) {
            Job next = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (next == null) {
                break;
            }
            batch.add(next);
        }
        batch.removeIf(job -> job.result().isDone()); // timed out or cancelled while waiting
        return batch;
    }

    private static void runBatch(Function<List<BufferedImage>, List<Prediction>> predictAll, List<Job> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            List<Prediction> predictions = predictAll.apply(batch.stream().map(Job::image).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(predictions.get(i));
            }
        } catch (RuntimeException e) {
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
