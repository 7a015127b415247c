package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
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
import java.util.function.IntConsumer;
import org.tlbjava.model.EngineTuning;
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
    private final List<List<NDArray>> replicaArrays = new ArrayList<>();
    private final List<NDArray> modelArrays;
    private final int[] shardStart;
    private final boolean[] ranSinceGather;
    private final ExecutorService pool;
    private final int callerThreads;

    /** {@code workers} replicas of {@code model} (0: one per available core). */
    public DataParallel(TlbModel model, NDManager manager, int workers) {
        callerThreads = EngineTuning.threads();
        int count = workerCount(workers);
        replicas.add(model);
        for (int w = 1; w < count; w++) {
            replicas.add(TlbModel.create(model.config(), manager));
        }
        for (TlbModel replica : replicas) {
            stores.add(new ParameterStore(manager, false));
        }
        ranSinceGather = new boolean[count];
        for (TlbModel replica : replicas) {
            replicaArrays.add(arrays(replica));
        }
        modelArrays = replicaArrays.get(0);
        shardStart = shards(modelArrays, count);
        // One worker runs on the caller's thread with the engine's own intra-op threads.
        pool = count > 1 ? Executors.newFixedThreadPool(count, DataParallel::engineThread) : null;
        broadcastWeights();
        for (int w = 1; w < count; w++) {
            for (int i = 0; i < modelArrays.size(); i++) {
                replicaArrays.get(w).get(i).setRequiresGradient(modelArrays.get(i).hasGradient());
            }
        }
    }

    /** First parameter index of each of {@code count} shards (and the end), contiguous, balanced by elements. */
    private static int[] shards(List<NDArray> arrays, int count) {
        long total = 0;
        for (NDArray a : arrays) {
            total += a.size();
        }
        int[] start = new int[count + 1];
        long sum = 0;
        int shard = 1;
        for (int i = 0; i < arrays.size() && shard < count; i++) {
            sum += arrays.get(i).size();
            while (shard < count && sum * count >= total * shard) {
                start[shard++] = i + 1;
            }
        }
        while (shard <= count) {
            start[shard++] = arrays.size();
        }
        return start;
    }

    /** The workers a configured count means: itself, or one per available core for 0. */
    public static int workerCount(int configured) {
        return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }

    private static Thread engineThread(Runnable r) {
        Thread t = new Thread(() -> {
            EngineTuning.setThreads(1); // this thread's share of the engine: one core
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
            awaitAll(running);
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

    /** Waits for every worker to finish, then throws the first failure, if any. */
    private static void awaitAll(List<Future<?>> running) {
        Throwable failure = null;
        for (Future<?> f : running) {
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

    /**
     * Runs {@code task} on every parameter index: the indices are split into one contiguous shard
     * per worker, balanced by element count, and the shards run in parallel, each with gradient
     * recording off and its temporaries closed at its end. Tasks on different parameters touch
     * different arrays, so the result does not depend on thread timing.
     */
    public void forEachParameter(IntConsumer task) {
        if (pool == null) {
            runShard(0, task);
            return;
        }
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < workers(); w++) {
            int shard = w;
            running.add(pool.submit(() -> runShard(shard, task)));
        }
        awaitAll(running);
    }

    private void runShard(int shard, IntConsumer task) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope temporaries = new NDScope()) {
            for (int i = shardStart[shard]; i < shardStart[shard + 1]; i++) {
                task.accept(i);
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Adds the replicas' gradients into the model's, in replica order, and zeroes theirs. */
    public void gatherGradients() {
        forEachParameter(this::gatherGradient);
        gradientsGathered();
    }

    /** {@link #gatherGradients} of parameter {@code i} alone; call {@link #gradientsGathered} when all are done. */
    public void gatherGradient(int i) {
        NDArray target = modelArrays.get(i).getGradient();
        for (int w = 1; w < workers(); w++) {
            if (ranSinceGather[w]) {
                NDArray g = replicaArrays.get(w).get(i).getGradient();
                target.addi(g);
                g.muli(0);
            }
        }
    }

    /** Marks every replica's gradients as gathered. */
    public void gradientsGathered() {
        Arrays.fill(ranSinceGather, false);
    }

    /** Copies the model's weights to every replica: after an optimizer step or a checkpoint load. */
    public void broadcastWeights() {
        forEachParameter(this::broadcastWeight);
    }

    /** {@link #broadcastWeights} of parameter {@code i} alone. */
    public void broadcastWeight(int i) {
        for (int w = 1; w < workers(); w++) {
            replicaArrays.get(w).get(i).set(modelArrays.get(i).toByteBuffer());
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
            EngineTuning.setThreads(callerThreads); // the workers' setting is also the default of threads made later
        }
    }
}
