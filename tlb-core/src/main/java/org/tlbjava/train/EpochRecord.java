package org.tlbjava.train;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One epoch's line of the history, as Keras' {@code history.history} keeps it, under Keras' names
 * ({@code val_loss}, …) in every file; the camelCase names of older runs are still read.
 */
public record EpochRecord(
        int epoch,
        double loss,
        double accuracy,
        @JsonProperty("val_loss") @JsonAlias("valLoss") double valLoss,
        @JsonProperty("val_accuracy") @JsonAlias("valAccuracy") double valAccuracy,
        double seconds,
        @JsonProperty("learning_rate") @JsonAlias("learningRate") double learningRate) {}
