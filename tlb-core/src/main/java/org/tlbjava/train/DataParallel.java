package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.tlbjava.model.TlbModel;

/**
 * Data parallelism over the CPU's cores: one model replica per worker thread, each running the
 * engine on one thread, instead of one model whose every operation is split across the cores.
 * This model's operations are small (8 tokens of 64 features per image and chunk), so intra-op
 * threads spend much of a step waiting for each other; whole micro-batches per core scaled
 * ~1.9x on 2 cores where intra-op threading gave ~1.15x (docs/PERFORMANCE.md).
 *
 * <p>Replica 0 is the model itself. The others are copies: {@link #gatherGradients} adds their
 * gradients into the model's in replica order and {@link #broadcastWeights} copies its weights
 * back, so a step's result does not depend on thread timing. Item i of {@link #map} always runs
 * on replica i % workers, a worker's items in order.
 */
public final class DataParallel implements AutoCloseable {
    /** Work on one item (a micro-batch) with one replica and its parameter store. */
    public interface Task<T> {
        T run(int item, TlbModel replica, ParameterStore ps);
    }

    private final List<TlbModel> replicas = new ArrayList<>();
    private final List<ParameterStore> stores = new ArrayList<>();
    private final boolean[] ranSinceGather;
    private final ExecutorService pool;
    private final int callerThreads = JniUtils.getNumThreads();

    /** {@code workers} replicas of {@code model} (0: one per available core). */
    public DataParallel(TlbModel model, NDManager manager, int workers) {
        int count = workerCount(workers);
        replicas.add(model);
        for (int w = 1; w < count; w++) {
            replicas.add(TlbModel.create(model.config(), manager));
        }
        for (TlbModel replica : replicas) {
            stores.add(new ParameterStore(manager, false));
        }
        ranSinceGather = new boolean[count];
        // One worker runs on the caller's thread with the engine's own intra-op threads.
        pool = count > 1 ? Executors.newFixedThreadPool(count, DataParallel::engineThread) : null;
        broadcastWeights();
        List<NDArray> source = arrays(model);
        for (int w = 1; w < count; w++) {
            List<NDArray> target = arrays(replicas.get(w));
            for (int i = 0; i < source.size(); i++) {
                target.get(i).setRequiresGradient(source.get(i).hasGradient());
            }
        }
    }

    /** The workers a configured count means: itself, or one per available core for 0. */
    public static int workerCount(int configured) {
        return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }

    private static Thread engineThread(Runnable r) {
        Thread t = new Thread(() -> {
            JniUtils.setNumThreads(1); // this thread's share of the engine: one core
            r.run();
        }, "tlb-worker");
        t.setDaemon(true);
        return t;
    }

    /** The model itself: replica 0, the one an optimizer updates and a checkpoint saves. */
    public TlbModel model() {
        return replicas.get(0);
    }

    public int workers() {
        return replicas.size();
    }

    /** Runs {@code task} on items 0..count-1; results in item order. Gradients are recorded when {@code withGradients}. */
    public <T> List<T> map(int count, boolean withGradients, Task<T> task) {
        Object[] results = new Object[count];
        if (pool == null) {
            runItems(0, count, withGradients, task, results);
        } else {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < Math.min(count, workers()); w++) {
                int worker = w;
                running.add(pool.submit(() -> runItems(worker, count, withGradients, task, results)));
            }
            Throwable failure = null;
            for (Future<?> f : running) { // every worker finishes before the first failure is thrown
                try {
                    await(f);
                } catch (RuntimeException | Error e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw (RuntimeException) failure;
            }
        }
        @SuppressWarnings("unchecked")
        List<T> list = (List<T>) Arrays.asList(results);
        return list;
    }

    private <T> void runItems(int worker, int count, boolean withGradients, Task<T> task, Object[] results) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(withGradients); // thread-local in the engine
        try {
            for (int item = worker; item < count; item += workers()) {
                results[item] = task.run(item, replicas.get(worker), stores.get(worker));
                ranSinceGather[worker] |= withGradients;
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a worker", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Backpropagates a scalar loss into its replica's gradients (any worker thread may call it). */
    public static void backward(NDArray loss) {
        try (NDArray seed = loss.onesLike()) {
            JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
        }
    }

    /** Adds the replicas' gradients into the model's, in replica order, and zeroes theirs. */
    public void gatherGradients() {
        List<NDArray> target = arrays(replicas.get(0));
        for (int w = 1; w < workers(); w++) {
            if (!ranSinceGather[w]) {
                continue;
            }
            List<NDArray> source = arrays(replicas.get(w));
            for (int i = 0; i < target.size(); i++) {
                NDArray g = source.get(i).getGradient();
                target.get(i).getGradient().addi(g);
                g.muli(0);
            }
        }
        Arrays.fill(ranSinceGather, false);
    }

    /** Copies the model's weights to every replica: after an optimizer step or a checkpoint load. */
    public void broadcastWeights() {
        List<NDArray> source = arrays(replicas.get(0));
        for (int w = 1; w < workers(); w++) {
            List<NDArray> target = arrays(replicas.get(w));
            for (int i = 0; i < source.size(); i++) {
                target.get(i).set(source.get(i).toByteBuffer());
            }
        }
    }

    /** Reseeds every replica's dropout masks from one seed. */
    public void reseedDropout(long seed) {
        for (int w = 0; w < workers(); w++) {
            replicas.get(w).reseedDropout(seed + w * 0x9E3779B97F4A7C15L);
        }
    }

    private static List<NDArray> arrays(TlbModel model) {
        List<NDArray> arrays = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            arrays.add(p.getValue().getArray());
        }
        return arrays;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
            JniUtils.setNumThreads(callerThreads); // the workers' setting is also the default of threads made later
        }
    }
}
