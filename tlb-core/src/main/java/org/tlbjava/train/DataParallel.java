package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 *
 * <p>With a {@link WorkerGroup}, the workers are processes instead: this one holds worker
 * {@code rank} alone, runs the items a thread of that index would, and exchanges the items'
 * results and the gradients with the others, summing the gradients in the same order.
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
    /** The processes this one is a worker of; null when every worker is a thread here. */
    private final WorkerGroup group;
    /** The worker index of replica 0: the group rank, or 0. */
    private final int firstWorker;
    /** Each group member's gradients since the last gather, as {@link #shareGradients} received them. */
    private List<ByteBuffer> sharedGradients = List.of();

    /** {@code workers} replicas of {@code model} (0: one per available core). */
    public DataParallel(TlbModel model, NDManager manager, int workers) {
        this(model, manager, workerCount(workers), null);
    }

    /** {@code model} as worker {@code group.rank()} of the group's processes. */
    public DataParallel(TlbModel model, NDManager manager, WorkerGroup group) {
        this(model, manager, 1, group);
    }

    private DataParallel(TlbModel model, NDManager manager, int count, WorkerGroup group) {
        callerThreads = EngineTuning.threads();
        this.group = group;
        firstWorker = group == null ? 0 : group.rank();
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

    /** The workers of a step: the threads here, or the group's processes. */
    public int workers() {
        return group != null ? group.size() : replicas.size();
    }

    /** Runs {@code task} on items 0..count-1; results in item order. Gradients are recorded when {@code withGradients}. */
    public <T> List<T> map(int count, boolean withGradients, Task<T> task) {
        Object[] results = new Object[count];
        if (pool == null) {
            runItems(0, count, withGradients, task, results);
            if (group != null) {
                shareResults(count, results);
            }
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
            for (int item = firstWorker + worker; item < count; item += workers()) {
                results[item] = task.run(item, replicas.get(worker), stores.get(worker));
                ranSinceGather[worker] |= withGradients;
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Sends this worker's results to the group and fills in the others' items from theirs. */
    private void shareResults(int count, Object[] results) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            for (int item = firstWorker; item < count; item += workers()) {
                out.writeObject(results[item]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("a worker's result is not serializable", e);
        }
        List<byte[]> all = group.allGather(bytes.toByteArray());
        for (int w = 0; w < workers(); w++) {
            if (w == firstWorker) {
                continue;
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(all.get(w)))) {
                for (int item = w; item < count; item += workers()) {
                    results[item] = in.readObject();
                }
            } catch (IOException | ClassNotFoundException e) {
                throw new IllegalStateException("worker " + w + " sent results that cannot be read", e);
            }
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
        for (int w = 0; w < replicas.size(); w++) {
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

    /**
     * Sends this worker's gradients to the group and receives the others', before the gather
     * (nothing to do when every worker is a thread here). One message per step: a byte saying
     * whether the worker ran since the last gather, then every gradient as float32 in parameter order.
     */
    public void shareGradients() {
        if (group == null) {
            return;
        }
        long floats = 0;
        for (NDArray a : modelArrays) {
            floats += a.size();
        }
        ByteBuffer message = ByteBuffer.allocate(Math.toIntExact(1 + floats * Float.BYTES));
        message.put((byte) (ranSinceGather[0] ? 1 : 0));
        try (NDScope gradients = new NDScope()) {
            for (NDArray a : modelArrays) {
                message.put(a.getGradient().toByteBuffer()); // the engine's native order, as slice() reads it back
            }
        }
        List<ByteBuffer> shared = new ArrayList<>();
        for (byte[] m : group.allGather(message.array())) {
            shared.add(ByteBuffer.wrap(m));
        }
        sharedGradients = shared;
    }

    /** Adds the replicas' gradients into the model's, in replica order, and zeroes theirs. */
    public void gatherGradients() {
        shareGradients();
        forEachParameter(this::gatherGradient);
        gradientsGathered();
    }

    /**
     * {@link #gatherGradients} of parameter {@code i} alone, after {@link #shareGradients}; call
     * {@link #gradientsGathered} when all are done.
     */
    public void gatherGradient(int i) {
        NDArray target = modelArrays.get(i).getGradient();
        if (group != null) {
            sumSharedGradient(i, target);
            return;
        }
        for (int w = 1; w < replicas.size(); w++) {
            if (ranSinceGather[w]) {
                NDArray g = replicaArrays.get(w).get(i).getGradient();
                target.addi(g);
                g.muli(0);
            }
        }
    }

    /**
     * Parameter {@code i}'s gradient summed over the group in rank order, as the threads' is:
     * worker 0's, plus each other worker's that ran (0 + g is g exactly).
     */
    private void sumSharedGradient(int i, NDArray target) {
        long offset = 1;
        for (int p = 0; p < i; p++) {
            offset += modelArrays.get(p).size() * Float.BYTES;
        }
        int length = Math.toIntExact(target.size() * Float.BYTES);
        // Zeroed and added to, not set: set() would make the gradient use this temporary's memory.
        target.muli(0);
        for (int w = 0; w < workers(); w++) {
            ByteBuffer shared = sharedGradients.get(w);
            if (w == 0 || shared.get(0) != 0) {
                try (NDArray g = target.getManager().create(slice(shared, offset, length), target.getShape(),
                        DataType.FLOAT32)) {
                    target.addi(g);
                }
            }
        }
    }

    private static ByteBuffer slice(ByteBuffer buffer, long offset, int length) {
        return buffer.slice(Math.toIntExact(offset), length).order(ByteOrder.nativeOrder());
    }

    /** Marks every replica's gradients as gathered. */
    public void gradientsGathered() {
        Arrays.fill(ranSinceGather, false);
        sharedGradients = List.of();
    }

    /** Copies the model's weights to every replica: after an optimizer step or a checkpoint load. */
    public void broadcastWeights() {
        forEachParameter(this::broadcastWeight);
    }

    /** {@link #broadcastWeights} of parameter {@code i} alone. */
    public void broadcastWeight(int i) {
        for (int w = 1; w < replicas.size(); w++) {
            replicaArrays.get(w).get(i).set(modelArrays.get(i).toByteBuffer());
        }
    }

    /** Reseeds every replica's dropout masks from one seed: worker w's from the same seed wherever it runs. */
    public void reseedDropout(long seed) {
        for (int w = 0; w < replicas.size(); w++) {
            replicas.get(w).reseedDropout(seed + (firstWorker + w) * 0x9E3779B97F4A7C15L);
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
