package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.model.TlbModel;

class DataParallelTest {
    @Test
    void itemsRunOnReplicaIModuloWorkersAndAFailureWaitsForEveryWorker() {
        try (NDManager manager = NDManager.newBaseManager();
                DataParallel workers = new DataParallel(TlbModel.create(new TlbConfig(), manager), manager, 2)) {
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

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
