package org.tlbjava.train;

import org.tlbjava.config.RunConfig;

/**
 * The learning rate of each optimizer step t = 1, 2, …, T. {@code constant}: the reference's
 * fixed rate. {@code cosine}: linear warm-up over W steps, then cosine decay to {@code min}:
 * <pre>
 *   lr(t) = peak * t / W                                              for t <= W
 *   lr(t) = min + (peak - min) * (1 + cos(pi * (t - W) / (T - W))) / 2  after
 * </pre>
 */
public record LearningRateSchedule(boolean cosine, double peak, double min, long warmupSteps, long totalSteps) {

    /** The config's schedule for a run of {@code stepsPerEpoch} optimizer steps an epoch. */
    public static LearningRateSchedule of(RunConfig config, int stepsPerEpoch) {
        return new LearningRateSchedule(config.train().cosine(), config.train().learningRate(), config.train().minLr(),
                Math.round(config.train().warmupEpochs() * stepsPerEpoch), (long) config.train().epochs() * stepsPerEpoch);
    }

    /** The rate of step {@code t} (1-based). */
    public double at(long t) {
        if (!cosine) {
            return peak;
        }
        if (t <= warmupSteps) {
            return peak * t / warmupSteps;
        }
        double progress = Math.min(1.0, (double) (t - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
        return min + (peak - min) * (1 + Math.cos(Math.PI * progress)) / 2;
    }
}
