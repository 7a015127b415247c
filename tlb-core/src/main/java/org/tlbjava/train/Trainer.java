package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.tlbjava.TlbException;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.data.BatchLoader;
import org.tlbjava.data.Resolution;
import org.tlbjava.data.Splits;
import org.tlbjava.model.EngineTuning;
import org.tlbjava.model.MemoryEstimate;
import org.tlbjava.model.TlbModel;

/**
 * The reference's {@code model.fit}: AdamW on sparse categorical cross-entropy, one optimizer
 * update per batch of {@code batch_size} images whose gradient is accumulated over micro-batches,
 * validation after every epoch, and a checkpoint after every epoch. Dropout and augmentation
 * randomness are reseeded from (seed, epoch) at each epoch start, so a resumed run continues
 * exactly as an uninterrupted one.
 */
public final class Trainer {
    /**
     * Images per forward/backward pass when the config leaves it to us. Activations take ~7 MB
     * an image; 512 measured within noise of 256 and 1024 slower (docs/PERFORMANCE.md).
     */
    static final int AUTO_MICRO_BATCH = 256;

    private final TlbConfig config;
    private final Splits data;
    private final RunDirectory run;
    private final PrintStream out;
    private final boolean terminal;

    public Trainer(TlbConfig config, Splits data, RunDirectory run, PrintStream out, boolean terminal) {
        this.config = config;
        this.data = data;
        this.run = run;
        this.out = out;
        this.terminal = terminal;
    }

    /** Worker threads, each with a model replica: the config's, or one per core. */
    public int workers() {
        return DataParallel.workerCount(config.workers);
    }

    /** Images per forward/backward pass: the config's, or a share of the batch per worker up to 256. */
    public int microBatchSize() {
        int perWorker = (config.batchSize + workers() - 1) / workers();
        int micro = config.microBatchSize > 0 ? config.microBatchSize : Math.min(AUTO_MICRO_BATCH, perWorker);
        return Math.min(micro, config.batchSize);
    }

    /** Trains from the run's checkpoint (or from scratch) to {@code config.epochs}; returns the full history. */
    public List<EpochRecord> fit(String dataDescription) throws IOException {
        checkData();
        MemoryEstimate.requireFits(config, workers(), microBatchSize(), true);
        EngineTuning.Matmuls matmuls = EngineTuning.tune(config.mixedPrecision);
        try (RunLock lock = RunLock.acquire(run.path());
                NDManager manager = NDManager.newBaseManager();
                PrintWriter log = new PrintWriter(Files.newBufferedWriter(run.path().resolve("train.log"),
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)) {
            TlbModel model = TlbModel.create(config, manager);
            Optimizer optimizer = new Optimizer(config, model, manager, stepsPerEpoch());
            List<EpochRecord> history = new ArrayList<>();
            int startEpoch = 0;
            if (run.hasCheckpoint()) {
                RunDirectory.Restored restored = run.readCheckpoint(model, optimizer, manager);
                restored.notes().forEach(note -> say(log, "Checkpoint: " + note));
                history.addAll(restored.state().history());
                startEpoch = restored.state().epochsCompleted();
                if (startEpoch >= config.epochs) {
                    say(log, run.path() + " has already finished " + startEpoch + " epochs; pass --epochs N"
                            + " (more than " + startEpoch + ") to train it further");
                    return history;
                }
                say(log, "Resuming " + run.path() + " after epoch " + startEpoch + " of " + config.epochs);
            }
            for (Pair<String, Parameter> p : model.getParameters()) {
                p.getValue().getArray().setRequiresGradient(true); // after loading: it replaces the arrays
            }
            try (DataParallel workers = new DataParallel(model, manager, workers())) {
                say(log, String.format(Locale.ROOT, "Data: %s: %d train (%s), %d val images (%s); %d classes",
                        data.source(), data.train().size(), Splits.perClass(data.train()), data.val().size(),
                        Splits.perClass(data.val()), data.classes().size()));
                Resolution.describe(config, data.fileSizes()).forEach(line -> say(log, "Resolution: " + line));
                say(log, String.format(Locale.ROOT, "Model: %s variant, %,d parameters; batch %d in micro-batches of %d on %d"
                        + " workers", config.variant, model.parameterCount(), config.batchSize, microBatchSize(),
                        workers.workers()));
                say(log, "Compute: " + matmuls.description() + " (mixed_precision " + config.mixedPrecision + ")");
                say(log, "Recipe: " + recipe());
                RunEta eta = new RunEta((long) config.epochs * stepsPerEpoch(), optimizer.steps(), data.val().size());
                for (int epoch = startEpoch; epoch < config.epochs; epoch++) {
                    out.println("Epoch " + (epoch + 1) + "/" + config.epochs);
                    EpochRecord record = epoch(workers, optimizer, manager, epoch, eta);
                    boolean best = history.stream().allMatch(h -> record.valAccuracy() > h.valAccuracy());
                    history.add(record);
                    run.writeCheckpoint(model, optimizer, new RunDirectory.State(epoch + 1, optimizer.steps(),
                            dataDescription, history));
                    withModelWeights(workers, optimizer, () -> {
                        run.writeModel(model, history, best);
                        return null;
                    });
                    say(log, summary(record) + (best && config.epochs > 1 ? " - best so far, saved as best.params" : ""));
                    String left = eta.describe(config.epochs - epoch - 1, config.batchSize);
                    if (epoch + 1 < config.epochs && !left.isEmpty()) {
                        say(log, "  " + left);
                    }
                }
                return history;
            }
        }
    }

    /** Refuses data that cannot fill one batch or whose image size is not the config's input size. */
    private void checkData() {
        if (data.train().size() < config.batchSize) {
            throw new TlbException(BatchSizing.tooLarge(config.batchSize, data.train().size()));
        }
        int side = config.inputShape[0];
        if (data.train().height() != side || data.train().width() != side) {
            throw new TlbException("the training images are " + data.train().height() + "x" + data.train().width()
                    + " but input_shape is [" + side + ", " + side + ", 3]; set input_shape to ["
                    + data.train().height() + ", " + data.train().width() + ", 3] for this data");
        }
    }

    /** The recipe beyond the network, in one line for the log. */
    private String recipe() {
        String schedule = TlbConfig.COSINE.equals(config.lrSchedule)
                ? "cosine, " + config.warmupEpochs + " warm-up epochs up to " + config.learningRate + ", down to "
                        + config.minLr
                : "constant " + config.learningRate;
        return "AdamW lr " + schedule + "; weight decay " + config.weightDecay + " on "
                + ("weights".equals(config.weightDecayOn) ? "dense and conv kernels only" : "every variable")
                + "; label smoothing " + config.labelSmoothing
                + "; grad clip " + (config.gradClipNorm > 0 ? "at norm " + config.gradClipNorm : "off")
                + "; weight average " + (config.emaDecay > 0 ? "decay " + config.emaDecay
                        + " (validated and saved as the model)" : "off")
                + "; augmentation " + config.augmentation + " at " + config.imageSize + "x" + config.imageSize;
    }

    /** Optimizer steps in an epoch: the last partial batch is dropped, as the reference's. */
    private int stepsPerEpoch() {
        return data.train().size() / config.batchSize;
    }

    private EpochRecord epoch(DataParallel workers, Optimizer optimizer, NDManager manager, int epoch, RunEta eta)
            throws IOException {
        workers.reseedDropout(config.seed * 1_000_003L + epoch);
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        List<Double> rates = new ArrayList<>();
        try (BatchLoader loader = BatchLoader.training(data.train(), config, config.batchSize, epoch)) {
            ProgressBar bar = new ProgressBar(out, terminal, loader.batchCount(), 30);
            int step = 0;
            for (Batch batch : loader) {
                long start = System.nanoTime();
                rates.add(optimizer.nextLearningRate());
                float[] stats = trainStep(workers, optimizer, manager, batch);
                eta.stepDone((System.nanoTime() - start) / 1e9);
                lossSum += stats[0] * batch.size();
                correct += (long) stats[1];
                seen += batch.size();
                String left = eta.describe(config.epochs - epoch, config.batchSize);
                bar.update(++step, metrics(correct / (double) seen, lossSum / seen) + (left.isEmpty() ? "" : " - " + left));
            }
            bar.finish();
            double seconds = bar.elapsedSeconds();
            long validationStart = System.nanoTime();
            Evaluation val = withModelWeights(workers, optimizer,
                    () -> Evaluation.run(workers, manager, data.val(), microBatchSize(), false, b -> { }));
            eta.validationDone((System.nanoTime() - validationStart) / 1e9);
            return new EpochRecord(epoch + 1, lossSum / seen, correct / (double) seen, val.loss(), val.accuracy(),
                    seconds, rates.get(rates.size() - 1), rates);
        }
    }

    /** Runs {@code body} with the weights the run saves as its model: the average when ema_decay is set. */
    private static <T> T withModelWeights(DataParallel workers, Optimizer optimizer, WeightAverage.Body<T> body)
            throws IOException {
        return optimizer.average() == null ? body.get() : optimizer.average().applied(workers, body);
    }


    /**
     * One optimizer step: forward and backward passes over the batch in micro-batches spread over
     * the workers, each loss scaled by 1/batch so the gathered gradient is the batch mean's, then
     * the AdamW update. Returns {mean loss, correct predictions}.
     */
    public float[] trainStep(DataParallel workers, Optimizer optimizer, NDManager manager, Batch batch) {
        float[] stats = accumulateGradients(workers, manager, batch);
        optimizer.step(workers);
        return stats;
    }

    /**
     * The forward and backward passes of {@link #trainStep}, leaving the batch's gradient in the
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
                NDArray logits = replica.forward(ps, images, true);
                NDArray loss = loss(logits, labels, config, batch.size());
                DataParallel.backward(loss);
                float correct = logits.argMax(-1).toType(DataType.INT32, false).eq(labels).sum().getLong();
                return new float[] {loss.getFloat(), correct};
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
    static NDArray loss(NDArray logits, NDArray labels, TlbConfig config, int batchSize) {
        NDArray targets = labels.oneHot(config.numClasses);
        double e = config.labelSmoothing;
        if (e > 0) {
            targets = targets.mul((float) (1 - e)).add((float) (e / config.numClasses));
        }
        return logits.logSoftmax(-1).mul(targets.mul(1f / batchSize)).sum().neg();
    }

    private static String metrics(double accuracy, double loss) {
        return String.format(Locale.ROOT, "accuracy: %.4f - loss: %.4f", accuracy, loss);
    }

    static String summary(EpochRecord r) {
        return String.format(Locale.ROOT, "epoch %d - %.0fs - loss: %.4f - accuracy: %.4f - val_loss: %.4f"
                + " - val_accuracy: %.4f", r.epoch(), r.seconds(), r.loss(), r.accuracy(), r.valLoss(), r.valAccuracy());
    }

    private void say(PrintWriter log, String line) {
        out.println(line);
        log.println(line);
    }
}
