package org.tlbjava.serve;

import java.util.function.Supplier;
import org.tlbjava.model.EngineTuning;

/**
 * Runs model calls with one engine (OpenMP) thread on the calling thread. The engine's threads
 * spin-wait for each other at every operation, and this network runs thousands of small ones per
 * image: with other processes busy, one descheduled thread stalls them all (measured here at
 * load 8 on 2 cores: 10-30 s per image with two threads, 0.3-0.5 s with one). The setting is per
 * thread, as in {@code DataParallel}; the server's other threads decode images meanwhile.
 */
final class OneEngineThread {
    private OneEngineThread() {}

    static <T> T call(Supplier<T> modelCall) {
        EngineTuning.setThreads(1); // kept: the batcher's threads call nothing else, and a change of count rebuilds the pool
        return modelCall.get();
    }
}
