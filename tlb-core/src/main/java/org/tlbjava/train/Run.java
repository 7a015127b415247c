package org.tlbjava.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.model.SavedModel;

/**
 * A training run that {@link Training} ran: its directory, the history of its completed epochs,
 * and its models. A run that was stopped, or that failed after a checkpoint, continues with
 * {@link Training#resume}.
 *
 * @param directory the run directory (config.json, checkpoints, model.params, history, report)
 * @param history one record per completed epoch, the resumed ones included
 * @param epochs the epochs the run was asked for
 */
public record Run(Path directory, List<EpochRecord> history, int epochs) {
    public Run {
        history = List.copyOf(history);
    }

    /** Whether every epoch it was asked for is done (false when it was stopped). */
    public boolean finished() {
        return history.size() >= epochs;
    }

    /** The model after the last completed epoch (the weight average when ema_decay is set): model.params. */
    public TlbClassifier model() {
        return TlbClassifier.load(directory);
    }

    /** The model of the epoch with the best val_accuracy (best.params), or {@link #model} where it is that one. */
    public TlbClassifier bestModel() {
        Path best = directory.resolve(SavedModel.BEST);
        return Files.exists(best) ? TlbClassifier.load(best) : model();
    }
}
