package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.tlbjava.config.RunConfig;
import org.tlbjava.model.EngineTuning;
import org.tlbjava.model.TlbModel;

class DataParallelTest {
    @Test
    void itemsRunOnReplicaIModuloWorkersAndAFailureWaitsForEveryWorker() {
        try (NDManager manager = NDManager.newBaseManager();
                DataParallel workers = new DataParallel(TlbModel.create(RunConfig.defaults(), manager), manager, 2)) {
            List<TlbModel> replicas = workers.map(4, false, (item, replica, ps) -> replica);
            assertSame(workers.model(), replicas.get(0));
            assertSame(replicas.get(0), replicas.get(2));
            assertSame(replicas.get(1), replicas.get(3));
            assertNotSame(replicas.get(0), replicas.get(1));

            AtomicInteger finished = new AtomicInteger();
            IllegalStateException failure = assertThrows(IllegalStateException.class,
                    () -> workers.map(4, false, (item, replica, ps) -> {
                        if (item == 1) {
                            throw new IllegalStateException("item 1 failed");
                        }
                        sleep(200);
                        finished.incrementAndGet();
                        return item;
                    }));
            assertEquals("item 1 failed", failure.getMessage());
            assertEquals(2, finished.get(), "worker 0 ran items 0 and 2 to the end; worker 1 stopped at item 1");
            assertEquals(List.of(0, 1, 2), workers.map(3, false, (item, replica, ps) -> item));
        }
    }

    /**
     * One worker runs on the caller's thread with the caller's engine threads (all cores); with
     * several, each worker thread has one, and closing restores the caller's count.
     */
    @Test
    void theCallersEngineThreadsAreKeptWithOneWorkerAndRestoredWithSeveral() {
        int threads = EngineTuning.threads();
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = TlbModel.create(RunConfig.defaults(), manager);
            try (DataParallel one = new DataParallel(model, manager, 1)) {
                assertEquals(List.of(threads), one.map(1, false, (item, replica, ps) -> EngineTuning.threads()));
            }
            assertEquals(threads, EngineTuning.threads());
            try (DataParallel two = new DataParallel(model, manager, 2)) {
                assertEquals(List.of(1, 1), two.map(2, false, (item, replica, ps) -> EngineTuning.threads()));
            }
            assertEquals(threads, EngineTuning.threads());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
