package org.tlbjava.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.tlbjava.config.RunConfig;

/**
 * The batches of one pass over a split, built on a background thread into a small bounded queue
 * so the engine does not wait for augmentation. Training passes are reshuffled every epoch and
 * drop the last partial batch (the reference's {@code len // batch_size}); evaluation passes
 * keep every image in order. Every random draw comes from {@code (seed, epoch, batch)}, so a pass
 * is the same whatever the timing.
 */
public final class BatchLoader implements Iterable<Batch>, AutoCloseable {
    private static final int PREFETCH = 2;
    private static final Batch END = new Batch(new float[0], new int[0], new int[0], 0);

    private final ImageSet set;
    private final Augmentation augmentation;
    private final int batchSize;
    private final boolean training;
    private final long seed;
    private final int[] order;
    private Thread worker;
    /** Why the background thread stopped early; read by the consumer after it takes {@link #END}. */
    private volatile RuntimeException failure;

    private BatchLoader(ImageSet set, RunConfig config, int batchSize, boolean training, int epoch) {
        this.set = set;
        this.augmentation = new Augmentation(config, set.height(), set.width());
        this.batchSize = batchSize;
        this.training = training;
        this.seed = mix(config.train().seed(), epoch);
        this.order = training ? permutation(set.size(), new SplittableRandom(seed)) : identity(set.size());
    }

    /** Epoch {@code epoch} (0-based) of training: shuffled, augmented, last partial batch dropped. */
    public static BatchLoader training(ImageSet set, RunConfig config, int batchSize, int epoch) {
        return new BatchLoader(set, config, batchSize, true, epoch);
    }

    /** Every image in order, resized for evaluation. */
    public static BatchLoader evaluation(ImageSet set, RunConfig config, int batchSize) {
        return new BatchLoader(set, config, batchSize, false, 0);
    }

    public int batchCount() {
        return training ? set.size() / batchSize : (set.size() + batchSize - 1) / batchSize;
    }

    /** Builds batch {@code b} on the calling thread. */
    public Batch build(int b) {
        int from = b * batchSize;
        int size = Math.min(batchSize, set.size() - from);
        int per = augmentation.outputSize();
        float[] images = new float[size * per];
        int[] labels = new int[size];
        int[] indices = new int[size];
        float[] scratch = augmentation.newScratch();
        SplittableRandom random = new SplittableRandom(mix(seed, b + 1));
        for (int i = 0; i < size; i++) {
            int index = order[from + i];
            indices[i] = index;
            labels[i] = set.label(index);
            if (training) {
                augmentation.train(set.pixels(), set.offset(index), scratch, random, images, i * per);
            } else {
                augmentation.eval(set.pixels(), set.offset(index), scratch, images, i * per);
            }
        }
        return new Batch(images, labels, indices, size);
    }

    @Override
    public Iterator<Batch> iterator() {
        close();
        BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(PREFETCH);
        int count = batchCount();
        failure = null;
        worker = new Thread(() -> {
            try {
                try {
                    for (int b = 0; b < count; b++) {
                        queue.put(build(b));
                    }
                } catch (RuntimeException | Error e) {
                    // ends the consumer's wait with this error instead of leaving it waiting forever
                    failure = e instanceof RuntimeException ? (RuntimeException) e
                            : new IllegalStateException("the batch thread failed: " + e, e);
                }
                queue.put(END);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tlb-batches");
        worker.setDaemon(true);
        worker.start();
        return new Iterator<>() {
            private Batch next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    try {
                        next = queue.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for a batch", e);
                    }
                }
                if (next == END && failure != null) {
                    throw failure;
                }
                return next != END;
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Batch batch = next;
                next = null;
                return batch;
            }
        };
    }

    @Override
    public void close() {
        if (worker != null) {
            worker.interrupt();
            worker = null;
        }
    }

    private static int[] permutation(int n, SplittableRandom random) {
        int[] order = identity(n);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }

    /** A well-spread seed for stream {@code stream} of {@code seed} (SplitMix64's finaliser). */
    static long mix(long seed, long stream) {
        long z = seed * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
