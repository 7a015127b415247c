package org.tlbjava.train;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One epoch's line of the history, as Keras' {@code history.history} keeps it, under Keras' names
 * ({@code val_loss}, …) in every file; the camelCase names of older runs are still read.
 * {@code learning_rate} is the rate of the epoch's last step, {@code step_learning_rates} that of each step,
 * {@code step_losses} each step's mean loss over its batch (the pages' per-step curves; null in older runs).
 */
public record EpochRecord(
        int epoch,
        double loss,
        double accuracy,
        @JsonProperty("val_loss") @JsonAlias("valLoss") double valLoss,
        @JsonProperty("val_accuracy") @JsonAlias("valAccuracy") double valAccuracy,
        double seconds,
        @JsonProperty("learning_rate") @JsonAlias("learningRate") double learningRate,
        @JsonProperty("step_learning_rates") List<Double> stepLearningRates,
        @JsonProperty("step_losses") List<Double> stepLosses) {

    /** A record without per-step rates and losses (a constant schedule's rates are all {@code learningRate}). */
    public EpochRecord(int epoch, double loss, double accuracy, double valLoss, double valAccuracy, double seconds,
            double learningRate) {
        this(epoch, loss, accuracy, valLoss, valAccuracy, seconds, learningRate, null, null);
    }
}
