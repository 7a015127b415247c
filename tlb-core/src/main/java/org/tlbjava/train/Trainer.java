package org.tlbjava.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.data.BatchLoader;
import org.tlbjava.data.Resolution;
import org.tlbjava.data.Splits;
import org.tlbjava.model.EngineTuning;
import org.tlbjava.model.Kernels;
import org.tlbjava.model.MemoryEstimate;
import org.tlbjava.model.TlbModel;

/**
 * The epoch loop of the reference's {@code model.fit}: {@link TrainStep} over every batch of the
 * epoch (AdamW on sparse categorical cross-entropy, one update per batch of {@code batch_size}
 * images), validation after every epoch, a checkpoint after every epoch, the log and the
 * listeners' events. Dropout and augmentation randomness are reseeded from (seed, epoch) at each
 * epoch start, so a resumed run continues exactly as an uninterrupted one. In a
 * {@link WorkerGroup} every member runs this loop on its share of each batch; member 0 alone
 * writes the run directory, the others only read its checkpoint. {@link Training} runs it; it is
 * not public API.
 */
final class Trainer {
    private final RunConfig config;
    private final Splits data;
    private final RunDirectory run;
    private final List<TrainingListener> listeners;
    private final RunControl control;
    private final TrainStep step;
    /** The processes this one trains with; null when its worker threads are all the workers. */
    private final WorkerGroup group;
    /** The validation of the run's last epoch, once this fit reached it. */
    private Evaluation finalValidation;

    Trainer(RunConfig config, Splits data, RunDirectory run, List<TrainingListener> listeners, RunControl control,
            WorkerGroup group) {
        this.config = config;
        this.data = data;
        this.run = run;
        this.listeners = List.copyOf(listeners);
        this.control = control;
        this.step = new TrainStep(config);
        this.group = group;
    }

    /** Whether this process writes the run directory: alone, or as worker 0 of its group. */
    static boolean writes(WorkerGroup group) {
        return group == null || group.rank() == 0;
    }

    /**
     * Trains from the run's checkpoint (or from scratch) to {@code config.train().epochs()}, or until the
     * control asks to stop; returns the history of the completed epochs.
     */
    List<EpochRecord> fit(String dataDescription) throws IOException {
        checkData();
        if (group != null && group.size() != step.workers()) {
            throw new TlbException("a group of " + group.size() + " processes cannot train a run of workers="
                    + config.train().workers() + ": each process is one worker");
        }
        MemoryEstimate.requireFits(config, step.workers(), step.microBatchSize(), true);
        EngineTuning.Matmuls matmuls = EngineTuning.tune(config.train().mixedPrecision());
        boolean writes = writes(group);
        try (RunLock lock = writes ? RunLock.acquire(run.path()) : null;
                NDManager manager = NDManager.newBaseManager();
                PrintWriter log = writes ? new PrintWriter(Files.newBufferedWriter(run.path().resolve("train.log"),
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)
                        : new PrintWriter(Writer.nullWriter())) {
            TlbModel model = TlbModel.create(config, manager);
            Optimizer optimizer = new Optimizer(config, model, manager, stepsPerEpoch());
            List<EpochRecord> history = new ArrayList<>();
            int startEpoch = 0;
            if (run.hasCheckpoint()) {
                RunDirectory.Restored restored = run.readCheckpoint(model, optimizer, manager);
                restored.notes().forEach(note -> say(log, "Checkpoint: " + note));
                history.addAll(restored.state().history());
                startEpoch = restored.state().epochsCompleted();
            }
            requireOneStart(optimizer.steps());
            if (startEpoch >= config.train().epochs()) {
                say(log, run.path() + " has already finished " + startEpoch + " epochs; pass --epochs N"
                        + " (more than " + startEpoch + ") to train it further");
                return history;
            }
            if (startEpoch > 0) {
                say(log, "Resuming " + run.path() + " after epoch " + startEpoch + " of " + config.train().epochs());
            }
            for (Pair<String, Parameter> p : model.getParameters()) {
                p.getValue().getArray().setRequiresGradient(true); // after loading: it replaces the arrays
            }
            try (DataParallel workers = group == null ? new DataParallel(model, manager, step.workers())
                    : new DataParallel(model, manager, group)) {
                say(log, String.format(Locale.ROOT, "Data: %s: %d train (%s), %d val images (%s); %d classes",
                        data.source(), data.train().size(), Splits.perClass(data.train()), data.val().size(),
                        Splits.perClass(data.val()), data.classes().size()));
                Resolution.describe(config, data.fileSizes()).forEach(line -> say(log, "Resolution: " + line));
                say(log, String.format(Locale.ROOT, "Model: %s variant, %,d parameters; batch %d in micro-batches of %d on %d"
                        + " workers", config.model().variant(), model.parameterCount(), config.train().batchSize(), step.microBatchSize(),
                        workers.workers()));
                say(log, "Compute: " + matmuls.description() + " (mixed_precision " + config.train().mixedPrecision() + ")");
                say(log, "Recurrent cell: " + Kernels.forTraining(config).description());
                say(log, "Recipe: " + recipe());
                RunEta eta = new RunEta((long) config.train().epochs() * stepsPerEpoch(), optimizer.steps(), data.val().size());
                for (int epoch = startEpoch; epoch < config.train().epochs(); epoch++) {
                    if (control.stopRequested()) {
                        say(log, "Stopped after epoch " + epoch + " of " + config.train().epochs() + "; --resume continues it");
                        break;
                    }
                    EpochRecord record = epoch(workers, optimizer, manager, epoch, eta);
                    if (record == null) {
                        say(log, "Stopped during epoch " + (epoch + 1) + ", which is dropped; --resume continues after"
                                + " epoch " + epoch);
                        break;
                    }
                    boolean best = history.stream().allMatch(h -> record.valAccuracy() > h.valAccuracy());
                    history.add(record);
                    if (writes) {
                        run.writeCheckpoint(model, optimizer, new RunDirectory.State(epoch + 1, optimizer.steps(),
                                dataDescription, history));
                        withModelWeights(workers, optimizer, () -> {
                            run.writeModel(model, history, best);
                            return null;
                        });
                    }
                    say(log, summary(record) + (best && config.train().epochs() > 1 ? " - best so far, saved as best.params" : ""));
                    listeners.forEach(l -> l.epochFinished(record, best));
                    String left = eta.describe(config.train().epochs() - epoch - 1, config.train().batchSize());
                    if (epoch + 1 < config.train().epochs() && !left.isEmpty()) {
                        say(log, "  " + left);
                    }
                }
                return history;
            }
        }
    }

    /**
     * Every worker of a group starts from the same point: a checkpoint that an earlier attempt's
     * worker 0 was still writing while the others read could differ, and the replicas would part.
     */
    private void requireOneStart(long steps) {
        if (group == null) {
            return;
        }
        byte[] mine = ByteBuffer.allocate(Long.BYTES).putLong(steps).array();
        for (byte[] theirs : group.allGather(mine)) {
            if (!Arrays.equals(mine, theirs)) {
                throw new TlbException("the workers of " + run.path() + " read different checkpoints (worker "
                        + group.rank() + " after " + steps + " steps, another after " + ByteBuffer.wrap(theirs).getLong()
                        + "); they must start together");
            }
        }
    }

    /** The final model's validation (the saved weights, on the run's val sample), when this fit ended the run. */
    Optional<Evaluation> finalValidation() {
        return Optional.ofNullable(finalValidation);
    }

    /** Refuses data that cannot fill one batch or whose image size is not the config's input size. */
    private void checkData() {
        if (data.train().size() < config.train().batchSize()) {
            throw new TlbException(BatchSizing.tooLarge(config.train().batchSize(), data.train().size()));
        }
        int side = config.data().inputSide();
        if (data.train().height() != side || data.train().width() != side) {
            throw new TlbException("the training images are " + data.train().height() + "x" + data.train().width()
                    + " but input_shape is [" + side + ", " + side + ", 3]; set input_shape to ["
                    + data.train().height() + ", " + data.train().width() + ", 3] for this data");
        }
    }

    /** The recipe beyond the network, in one line for the log. */
    private String recipe() {
        String schedule = config.train().cosine()
                ? "cosine, " + config.train().warmupEpochs() + " warm-up epochs up to " + config.train().learningRate() + ", down to "
                        + config.train().minLr()
                : "constant " + config.train().learningRate();
        return "AdamW lr " + schedule + "; weight decay " + config.train().weightDecay() + " on "
                + (config.train().decayWeightsOnly() ? "dense and conv kernels only" : "every variable")
                + "; label smoothing " + config.train().labelSmoothing()
                + "; grad clip " + (config.train().gradClipNorm() > 0 ? "at norm " + config.train().gradClipNorm() : "off")
                + "; weight average " + (config.train().emaDecay() > 0 ? "decay " + config.train().emaDecay()
                        + " (validated and saved as the model)" : "off")
                + "; augmentation " + config.data().augmentation() + " at " + config.model().imageSize() + "x" + config.model().imageSize();
    }

    /** Optimizer steps in an epoch: the last partial batch is dropped, as the reference's. */
    private int stepsPerEpoch() {
        return data.train().size() / config.train().batchSize();
    }

    /** One epoch's steps and validation; null when the control stopped it before its end. */
    private EpochRecord epoch(DataParallel workers, Optimizer optimizer, NDManager manager, int epoch, RunEta eta)
            throws IOException {
        workers.reseedDropout(config.train().seed() * 1_000_003L + epoch);
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        List<Double> rates = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        long epochStart = System.nanoTime();
        try (BatchLoader loader = BatchLoader.training(data.train(), config, config.train().batchSize(), epoch)) {
            int steps = loader.batchCount();
            listeners.forEach(l -> l.epochStarted(epoch + 1, config.train().epochs(), steps));
            int done = 0;
            for (Batch batch : loader) {
                if (control.stopRequested()) {
                    return null;
                }
                long start = System.nanoTime();
                double rate = optimizer.nextLearningRate();
                rates.add(rate);
                float[] stats = step.run(workers, optimizer, manager, batch);
                eta.stepDone((System.nanoTime() - start) / 1e9);
                losses.add((double) stats[0]);
                lossSum += stats[0] * batch.size();
                correct += (long) stats[1];
                seen += batch.size();
                double left = eta.secondsLeft(config.train().epochs() - epoch, config.train().batchSize());
                TrainingListener.Step event = new TrainingListener.Step(epoch + 1, ++done, steps, lossSum / seen,
                        correct / (double) seen, rate, RunEta.describe(left), left);
                listeners.forEach(l -> l.stepFinished(event));
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            long validationStart = System.nanoTime();
            Evaluation val = withModelWeights(workers, optimizer,
                    () -> Evaluation.run(workers, manager, data.val(), step.microBatchSize(), false, b -> { }));
            eta.validationDone((System.nanoTime() - validationStart) / 1e9);
            if (epoch + 1 == config.train().epochs()) {
                finalValidation = val;
            }
            return new EpochRecord(epoch + 1, lossSum / seen, correct / (double) seen, val.loss(), val.accuracy(),
                    seconds, rates.get(rates.size() - 1), rates, losses);
        }
    }

    /** Runs {@code body} with the weights the run saves as its model: the average when ema_decay is set. */
    private static <T> T withModelWeights(DataParallel workers, Optimizer optimizer, WeightAverage.Body<T> body)
            throws IOException {
        return optimizer.average() == null ? body.get() : optimizer.average().applied(workers, body);
    }


    static String summary(EpochRecord r) {
        return String.format(Locale.ROOT, "epoch %d - %.0fs - loss: %.4f - accuracy: %.4f - val_loss: %.4f"
                + " - val_accuracy: %.4f", r.epoch(), r.seconds(), r.loss(), r.accuracy(), r.valLoss(), r.valAccuracy());
    }

    private void say(PrintWriter log, String line) {
        log.println(line);
        listeners.forEach(l -> l.logged(line));
    }
}
