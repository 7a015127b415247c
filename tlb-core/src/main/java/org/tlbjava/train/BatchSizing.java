package org.tlbjava.train;

import java.util.Locale;
import org.tlbjava.UsageException;
import java.util.Optional;

/**
 * Fits the batch to small data: the reference's 2048-image batch is for CIFAR-10's 40,000
 * training images (19 steps an epoch); on a few hundred photos it gives no step at all.
 */
public final class BatchSizing {
    /** Fewest optimizer steps an epoch that the default batch is shrunk to give. */
    static final int MIN_STEPS = 10;

    private BatchSizing() {}

    /** The largest power of two that gives at least {@link #MIN_STEPS} steps an epoch over {@code images}. */
    public static int suggested(int images) {
        return Integer.highestOneBit(Math.max(1, images / MIN_STEPS));
    }

    /** The batch a run trains with, and a line saying why when it is not the configured one. */
    public record Fit(int batch, Optional<String> note) {}

    /**
     * When the batch was left at its default and gives fewer than {@link #MIN_STEPS} steps an
     * epoch, a smaller one, with a line saying so. A batch the user chose is kept, but one larger
     * than the training images is refused, naming the {@code --batch-size} that fits.
     */
    public static Fit fit(int batchSize, int trainImages, boolean chosen) {
        if (chosen) {
            if (batchSize > trainImages) {
                throw new UsageException(tooLarge(batchSize, trainImages));
            }
            return new Fit(batchSize, Optional.empty());
        }
        if (trainImages / batchSize >= MIN_STEPS) {
            return new Fit(batchSize, Optional.empty());
        }
        int batch = Math.min(batchSize, suggested(trainImages));
        return new Fit(batch, Optional.of(String.format(Locale.ROOT, "Batch: %d (the default %d gives %d steps an epoch"
                + " over %,d training images; this gives %d); --batch-size N chooses another", batch, batchSize,
                trainImages / batchSize, trainImages, trainImages / batch)));
    }

    /** The message for a batch that an epoch's images cannot fill. */
    public static String tooLarge(int batchSize, int trainImages) {
        return "batch_size " + batchSize + " is larger than the " + trainImages + " training images: an epoch would"
                + " have no step; use --batch-size " + suggested(trainImages) + " (or at most " + trainImages + ")";
    }
}
