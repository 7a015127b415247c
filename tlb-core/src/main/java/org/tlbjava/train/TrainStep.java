package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.List;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.model.TlbModel;

/**
 * The step maths of training, apart from any run: the loss, the forward and backward passes of
 * one optimizer batch in micro-batches spread over the workers, and the update. The epoch loop
 * ({@link Trainer}), the benchmark and the tests all step through this.
 */
public final class TrainStep {
    /**
     * Images per forward/backward pass when the config leaves it to us. Activations take ~7 MB
     * an image; 512 measured within noise of 256 and 1024 slower (docs/PERFORMANCE.md).
     */
    static final int AUTO_MICRO_BATCH = 256;

    private final RunConfig config;

    public TrainStep(RunConfig config) {
        this.config = config;
    }

    /** Worker threads, each with a model replica: the config's, or one per core. */
    public int workers() {
        return DataParallel.workerCount(config.train().workers());
    }

    /** Images per forward/backward pass: the config's, or a share of the batch per worker up to 256. */
    public int microBatchSize() {
        int perWorker = (config.train().batchSize() + workers() - 1) / workers();
        int micro = config.train().microBatchSize() > 0 ? config.train().microBatchSize() : Math.min(AUTO_MICRO_BATCH, perWorker);
        return Math.min(micro, config.train().batchSize());
    }

    /**
     * One optimizer step: forward and backward passes over the batch in micro-batches spread over
     * the workers, each loss scaled by 1/batch so the gathered gradient is the batch mean's, then
     * the AdamW update. Returns {mean loss, correct predictions}.
     */
    public float[] run(DataParallel workers, Optimizer optimizer, NDManager manager, Batch batch) {
        float[] stats = accumulateGradients(workers, manager, batch);
        optimizer.step(workers);
        return stats;
    }

    /**
     * The forward and backward passes of {@link #run}, leaving the batch's gradient in the
     * replicas (the optimizer step gathers it). The loss is the cross-entropy against targets
     * smoothed by {@code label_smoothing}: (1 - e) one-hot + e / classes.
     */
    public float[] accumulateGradients(DataParallel workers, NDManager manager, Batch batch) {
        int micro = microBatchSize();
        int count = (batch.size() + micro - 1) / micro;
        List<float[]> results = workers.map(count, true, (item, replica, ps) -> {
            int from = item * micro;
            int size = Math.min(micro, batch.size() - from);
            try (NDScope temporaries = new NDScope()) {
                NDArray images = Evaluation.images(manager, batch, config, from, size);
                NDArray labels = manager.create(Arrays.copyOfRange(batch.labels(), from, from + size));
                TlbModel.Trained pass = replica.train(ps, images, logits -> loss(logits, labels, config, batch.size()));
                float correct = pass.logits().argMax(-1).toType(DataType.INT32, false).eq(labels).sum().getLong();
                return new float[] {pass.loss().getFloat(), correct};
            }
        });
        float loss = 0;
        float correct = 0;
        for (float[] r : results) {
            loss += r[0];
            correct += r[1];
        }
        return new float[] {loss, correct};
    }

    /**
     * The summed cross-entropy of {@code logits} against the labels' targets, divided by
     * {@code batchSize}: targets are one-hot as the reference's, or smoothed by label_smoothing e
     * to (1 - e) one-hot + e / classes.
     */
    static NDArray loss(NDArray logits, NDArray labels, RunConfig config, int batchSize) {
        NDArray targets = labels.oneHot(config.model().numClasses());
        double e = config.train().labelSmoothing();
        if (e > 0) {
            targets = targets.mul((float) (1 - e)).add((float) (e / config.model().numClasses()));
        }
        return logits.logSoftmax(-1).mul(targets.mul(1f / batchSize)).sum().neg();
    }
}
