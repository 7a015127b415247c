package org.tlbjava.train;

/** One epoch's line of the history, as Keras' {@code history.history} keeps it. */
public record EpochRecord(int epoch, double loss, double accuracy, double valLoss, double valAccuracy,
        double seconds, double learningRate) {}
