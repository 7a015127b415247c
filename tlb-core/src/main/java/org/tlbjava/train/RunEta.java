package org.tlbjava.train;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * When the whole run will end: the steps left at this process's mean seconds a step, plus the
 * validations left at the last validation's seconds (before the first one, a guess: evaluation
 * runs about three times as fast as training, per image).
 */
final class RunEta {
    private static final double EVAL_SPEEDUP = 3;
    private final long totalSteps;
    private final int valImages;
    private long stepsDone;
    private long stepsTimed;
    private double stepSeconds;
    private double validationSeconds = -1;

    RunEta(long totalSteps, long stepsDone, int valImages) {
        this.totalSteps = totalSteps;
        this.stepsDone = stepsDone;
        this.valImages = valImages;
    }

    void stepDone(double seconds) {
        stepsDone++;
        stepsTimed++;
        stepSeconds += seconds;
    }

    void validationDone(double seconds) {
        validationSeconds = seconds;
    }

    /** Seconds left for the run with {@code validationsLeft} validations still to do; -1 before any step. */
    double secondsLeft(int validationsLeft, int batchSize) {
        if (stepsTimed == 0) {
            return -1;
        }
        double perStep = stepSeconds / stepsTimed;
        double perValidation = validationSeconds >= 0 ? validationSeconds
                : perStep / batchSize * valImages / EVAL_SPEEDUP;
        return (totalSteps - stepsDone) * perStep + validationsLeft * perValidation;
    }

    /** "run ends ~00:41 (38 min left)", or "" before any step. */
    String describe(int validationsLeft, int batchSize) {
        return describe(secondsLeft(validationsLeft, batchSize));
    }

    /** {@code left} seconds in words, as {@link #describe(int, int)}; "" when unknown (negative). */
    static String describe(double left) {
        if (left < 0) {
            return "";
        }
        String end = LocalTime.now().plusSeconds(Math.round(left)).format(DateTimeFormatter.ofPattern("HH:mm"));
        return String.format(Locale.ROOT, "run ends ~%s (%.0f min left)", end, left / 60);
    }
}
