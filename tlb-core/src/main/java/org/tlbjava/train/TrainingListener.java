package org.tlbjava.train;

/**
 * Receives a run's events, on the thread that trains. Every method has an empty default, so a
 * listener implements only what it needs; {@link ConsoleProgress} is the one {@code tlb train}
 * prints with.
 */
public interface TrainingListener {
    /** The run starts or resumes; {@code control} stops it, from any thread, leaving it resumable. */
    default void started(RunControl control) {}

    /** One line of the run's log, as {@code train.log} records it (data, model, recipe, epoch summaries). */
    default void logged(String line) {}

    /** Epoch {@code epoch} (from 1) of {@code epochs} starts, with {@code steps} optimizer steps. */
    default void epochStarted(int epoch, int epochs, int steps) {}

    /** An optimizer step is done; the running means cover the epoch so far. */
    default void stepFinished(Step step) {}

    /** An epoch is validated and checkpointed; {@code best} when its val_accuracy is the best so far. */
    default void epochFinished(EpochRecord record, boolean best) {}

    /**
     * One optimizer step of epoch {@code epoch}: step {@code step} of {@code steps}, the epoch's
     * mean loss and accuracy so far, the learning rate it used, and when the run will end: in
     * {@code secondsLeft} (-1 before it is known) and in words for a console ({@code runEta}, empty then).
     */
    record Step(int epoch, int step, int steps, double loss, double accuracy, double learningRate, String runEta,
            double secondsLeft) {}
}
