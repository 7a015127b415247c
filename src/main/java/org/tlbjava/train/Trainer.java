package org.tlbjava.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tlbjava.TlbException;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.data.BatchLoader;
import org.tlbjava.data.Splits;
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

    public int microBatchSize() {
        int micro = config.microBatchSize > 0 ? config.microBatchSize : AUTO_MICRO_BATCH;
        return Math.min(micro, config.batchSize);
    }

    /** Trains from the run's checkpoint (or from scratch) to {@code config.epochs}; returns the full history. */
    public List<EpochRecord> fit(String dataDescription) throws IOException {
        if (data.train().size() < config.batchSize) {
            throw new TlbException("batch_size " + config.batchSize + " is larger than the " + data.train().size()
                    + " training images: an epoch would have no step");
        }
        try (NDManager manager = NDManager.newBaseManager();
                PrintWriter log = new PrintWriter(Files.newBufferedWriter(run.path().resolve("train.log"),
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)) {
            TlbModel model = TlbModel.create(config, manager);
            AdamW optimizer = new AdamW(model.getParameters(), manager, config.learningRate, config.weightDecay);
            List<EpochRecord> history = new ArrayList<>();
            int startEpoch = 0;
            if (run.hasCheckpoint()) {
                RunDirectory.State state = run.readCheckpoint(model, optimizer, manager);
                history.addAll(state.history());
                startEpoch = state.epochsCompleted();
                say(log, "Resuming " + run.path() + " after epoch " + startEpoch + " of " + config.epochs);
            }
            for (Pair<String, Parameter> p : model.getParameters()) {
                p.getValue().getArray().setRequiresGradient(true); // after loading: it replaces the arrays
            }
            say(log, String.format(Locale.ROOT, "Data: %s: %d train, %d val images; %d classes", data.source(),
                    data.train().size(), data.val().size(), data.classes().size()));
            say(log, String.format(Locale.ROOT, "Model: %,d parameters; batch %d in micro-batches of %d; %d engine threads",
                    model.parameterCount(), config.batchSize, microBatchSize(), Runtime.getRuntime().availableProcessors()));
            if (model.bf16Matmul()) {
                say(log, "mixed_precision: matmuls in bfloat16 (fp32 weights, accumulation and other operations)");
            } else if (config.mixedPrecision) {
                say(log, "mixed_precision: not in effect (this engine build does not take bfloat16 matmuls);"
                        + " training runs in float32");
            }
            for (int epoch = startEpoch; epoch < config.epochs; epoch++) {
                out.println("Epoch " + (epoch + 1) + "/" + config.epochs);
                EpochRecord record = epoch(model, optimizer, manager, epoch);
                history.add(record);
                run.writeEpoch(model, optimizer, new RunDirectory.State(epoch + 1, optimizer.steps(), dataDescription,
                        history));
                say(log, summary(record));
            }
            return history;
        }
    }

    private EpochRecord epoch(TlbModel model, AdamW optimizer, NDManager manager, int epoch) {
        Engine.getInstance().setRandomSeed((int) (config.seed * 1_000_003L + epoch)); // dropout masks
        ParameterStore ps = new ParameterStore(manager, false);
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        try (BatchLoader loader = BatchLoader.training(data.train(), config, config.batchSize, epoch)) {
            ProgressBar bar = new ProgressBar(out, terminal, loader.batchCount(), 30);
            int step = 0;
            for (Batch batch : loader) {
                float[] stats = trainStep(model, ps, manager, batch);
                optimizer.step();
                lossSum += stats[0] * batch.size();
                correct += (long) stats[1];
                seen += batch.size();
                bar.update(++step, metrics(correct / (double) seen, lossSum / seen));
            }
            bar.finish();
            double seconds = bar.elapsedSeconds();
            Evaluation val = Evaluation.run(model, manager, data.val(), microBatchSize(), b -> { });
            return new EpochRecord(epoch + 1, lossSum / seen, correct / (double) seen, val.loss(), val.accuracy(),
                    seconds, config.learningRate);
        }
    }

    /**
     * Forward and backward passes over the batch in micro-batches, each scaled by 1/batch so the
     * accumulated gradient is the batch mean's. Returns {mean loss, correct predictions}.
     */
    public float[] trainStep(TlbModel model, ParameterStore ps, NDManager manager, Batch batch) {
        float loss = 0;
        float correct = 0;
        int micro = microBatchSize();
        for (int from = 0; from < batch.size(); from += micro) {
            int count = Math.min(micro, batch.size() - from);
            try (NDScope temporaries = new NDScope();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray images = Evaluation.images(manager, batch, config, from, count);
                int[] labelSlice = java.util.Arrays.copyOfRange(batch.labels(), from, from + count);
                NDArray labels = manager.create(labelSlice);
                NDArray logits = model.forward(ps, images, true);
                NDArray targets = labels.oneHot(config.numClasses).mul(1f / batch.size());
                NDArray microLoss = logits.logSoftmax(-1).mul(targets).sum().neg();
                collector.backward(microLoss);
                loss += microLoss.getFloat();
                correct += logits.argMax(-1).toType(DataType.INT32, false).eq(labels).sum().getLong();
            }
        }
        return new float[] {loss, correct};
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
