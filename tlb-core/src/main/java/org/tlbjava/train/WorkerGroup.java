package org.tlbjava.train;

import java.util.List;

/**
 * The processes that train one run together, each holding one model replica: worker
 * {@link #rank} of {@link #size}, as worker threads are in {@link DataParallel} within one
 * process. Worker w computes the micro-batches w, w + size, … of every batch, as thread w would;
 * the gradients are summed in rank order, so a group of N processes trains exactly as
 * {@code workers=N} threads do. {@code tlb-spark train} implements it with Spark's barrier tasks.
 */
public interface WorkerGroup {
    /** This process's worker index, from 0. Worker 0 writes the run directory. */
    int rank();

    /** The number of workers in the group. */
    int size();

    /**
     * Every worker's {@code message}, in rank order. Every worker calls this the same number of
     * times with the same kind of message; a call returns when all have made it.
     */
    List<byte[]> allGather(byte[] message);
}
