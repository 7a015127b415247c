package org.tlbjava.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.tlbjava.explain.Prediction;

/** Batching without a model: a fake network that records the batches it is given. */
class DynamicBatcherTest {
    private static final List<String> CLASSES = List.of("a", "b");

    private static List<Prediction> answer(List<BufferedImage> images) {
        return images.stream().map(i -> new Prediction(CLASSES, new float[] {i.getWidth(), 0})).toList();
    }

    @Test
    void requestsArrivingWithinTheDelayGoThroughInOneBatchInOrder() throws Exception {
        List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
        ServeLimits limits = ServeLimits.DEFAULT.withBatching(8, 500);
        try (DynamicBatcher<Prediction> batcher = new DynamicBatcher<>("t", List.of(images -> {
            batches.add(images.size());
            return answer(images);
        }), limits)) {
            List<CompletableFuture<Prediction>> results = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                results.add(batcher.submit(new BufferedImage(i, 1, BufferedImage.TYPE_INT_RGB)));
            }
            for (int i = 1; i <= 10; i++) {
                assertEquals(i, results.get(i - 1).get(5, TimeUnit.SECONDS).probabilities()[0]);
            }
            assertEquals(List.of(8, 2), batches);
        }
    }

    @Test
    void aFullQueueRefusesAtOnceAndTimedOutRequestsAreSkipped() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
        ServeLimits limits = ServeLimits.DEFAULT.withWorkers(1).withBatching(4, 0).withQueue(2, 1000);
        try (DynamicBatcher<Prediction> batcher = new DynamicBatcher<>("t", List.of(images -> {
            batches.add(images.size());
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return answer(images);
        }), limits)) {
            BufferedImage image = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
            CompletableFuture<Prediction> running = batcher.submit(image);
            while (batches.isEmpty()) {
                Thread.sleep(5); // the first batch is now inside the network
            }
            CompletableFuture<Prediction> abandoned = batcher.submit(image);
            CompletableFuture<Prediction> waiting = batcher.submit(image);
            ApiError full = assertThrows(ApiError.class, () -> batcher.submit(image));
            assertEquals(503, full.code());
            abandoned.cancel(false);
            release.countDown();
            running.get(5, TimeUnit.SECONDS);
            waiting.get(5, TimeUnit.SECONDS);
            assertEquals(List.of(1, 1), batches, "the cancelled request never reached the network");
        }
    }

    @Test
    void eachWorkerRunsABatchWhileTheOthersRunTheirs() throws Exception {
        CountDownLatch bothInside = new CountDownLatch(2);
        Function<List<BufferedImage>, List<Prediction>> model = images -> {
            bothInside.countDown();
            try {
                // a single worker would wait here forever with the second request still queued
                if (!bothInside.await(5, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the other worker never took a batch");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return answer(images);
        };
        ServeLimits limits = ServeLimits.DEFAULT.withWorkers(2).withBatching(1, 0);
        try (DynamicBatcher<Prediction> batcher = new DynamicBatcher<>("t", List.of(model, model), limits)) {
            CompletableFuture<Prediction> first = batcher.submit(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB));
            CompletableFuture<Prediction> second = batcher.submit(new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB));
            assertEquals(1, first.get(10, TimeUnit.SECONDS).probabilities()[0]);
            assertEquals(2, second.get(10, TimeUnit.SECONDS).probabilities()[0]);
        }
    }

    @Test
    void aFailingBatchFailsItsRequestsOnly() throws Exception {
        ServeLimits limits = ServeLimits.DEFAULT.withBatching(1, 0);
        try (DynamicBatcher<Prediction> batcher = new DynamicBatcher<>("t", List.of(images -> {
            if (images.get(0).getWidth() == 2) {
                throw new IllegalStateException("boom");
            }
            return answer(images);
        }), limits)) {
            CompletableFuture<Prediction> bad = batcher.submit(new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB));
            CompletableFuture<Prediction> good = batcher.submit(new BufferedImage(3, 1, BufferedImage.TYPE_INT_RGB));
            assertThrows(Exception.class, () -> bad.get(5, TimeUnit.SECONDS));
            assertEquals(3, good.get(5, TimeUnit.SECONDS).probabilities()[0]);
        }
    }

    @Test
    void anErrorInABatchFailsItsRequestsAndTheWorkerGoesOn() throws Exception {
        ServeLimits limits = ServeLimits.DEFAULT.withWorkers(1).withBatching(1, 0);
        try (DynamicBatcher<Prediction> batcher = new DynamicBatcher<>("t", List.of(images -> {
            if (images.get(0).getWidth() == 2) {
                throw new OutOfMemoryError("Java heap space"); // as a 40-megapixel 16-bit image can cause
            }
            return answer(images);
        }), limits)) {
            CompletableFuture<Prediction> bad = batcher.submit(new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB));
            Exception failed = assertThrows(Exception.class, () -> bad.get(5, TimeUnit.SECONDS));
            assertInstanceOf(OutOfMemoryError.class, failed.getCause());
            CompletableFuture<Prediction> good = batcher.submit(new BufferedImage(3, 1, BufferedImage.TYPE_INT_RGB));
            assertEquals(3, good.get(5, TimeUnit.SECONDS).probabilities()[0], "the only worker survived");
            assertTrue(batcher.running());
        }
    }
}
