package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntConsumer;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.data.BatchLoader;
import org.tlbjava.data.ImageSet;
import org.tlbjava.model.TlbModel;

/**
 * The model's loss, accuracy and prediction on every image of a split, in eval mode.
 *
 * @param predictions predicted class per image, in split order
 * @param probabilities softmax output per image, [image][class]
 */
public record Evaluation(double loss, double accuracy, int[] labels, int[] predictions, float[][] probabilities) {

    /**
     * Evaluates {@code set} in batches of {@code batchSize}, one batch per worker at a time, with
     * flip test-time augmentation when {@code flipTta} ({@link TlbModel#probabilities});
     * {@code onBatch} hears the count of batches done.
     */
    public static Evaluation run(DataParallel workers, NDManager manager, ImageSet set, int batchSize,
            boolean flipTta, IntConsumer onBatch) {
        RunConfig config = workers.model().config();
        int n = set.size();
        int[] labels = new int[n];
        int[] predictions = new int[n];
        float[][] probabilities = new float[n][];
        double lossSum = 0;
        int correct = 0;
        int done = 0;
        try (BatchLoader loader = BatchLoader.evaluation(set, config, batchSize)) {
            Iterator<Batch> batches = loader.iterator();
            while (batches.hasNext()) {
                List<Batch> group = new ArrayList<>();
                while (batches.hasNext() && group.size() < workers.workers()) {
                    group.add(batches.next());
                }
                List<float[]> logProbs = workers.map(group.size(), false, (item, replica, ps) -> {
                    try (NDScope temporaries = new NDScope()) {
                        NDArray images = images(manager, group.get(item), config);
                        NDArray logProbabilities = flipTta ? replica.probabilities(ps, images, true).log()
                                : replica.forward(ps, images, false).logSoftmax(-1);
                        return logProbabilities.toFloatArray();
                    }
                });
                for (int b = 0; b < group.size(); b++) {
                    Batch batch = group.get(b);
                    float[] lp = logProbs.get(b);
                    int classes = lp.length / batch.size();
                    for (int i = 0; i < batch.size(); i++) {
                        int index = batch.indices()[i];
                        float[] row = new float[classes];
                        int best = 0;
                        for (int c = 0; c < classes; c++) {
                            row[c] = (float) Math.exp(lp[i * classes + c]);
                            if (lp[i * classes + c] > lp[i * classes + best]) {
                                best = c;
                            }
                        }
                        labels[index] = batch.labels()[i];
                        predictions[index] = best;
                        probabilities[index] = row;
                        lossSum -= lp[i * classes + batch.labels()[i]];
                        correct += best == batch.labels()[i] ? 1 : 0;
                    }
                    onBatch.accept(++done);
                }
            }
        }
        return new Evaluation(lossSum / n, (double) correct / n, labels, predictions, probabilities);
    }

    /** The batch's images as [size, 3, image_size, image_size]. */
    public static NDArray images(NDManager manager, Batch batch, RunConfig config) {
        return images(manager, batch, config, 0, batch.size());
    }

    /** Images {@code [from, from + count)} of the batch as an array. */
    static NDArray images(NDManager manager, Batch batch, RunConfig config, int from, int count) {
        int per = 3 * config.model().imageSize() * config.model().imageSize();
        return manager.create(FloatBuffer.wrap(batch.images(), from * per, count * per).slice(),
                new Shape(count, 3, config.model().imageSize(), config.model().imageSize()));
    }

    /** Accuracy within each true class (NaN for a class with no images). */
    public double[] perClassAccuracy(int classes) {
        return perClassAccuracy(confusion(classes));
    }

    /** Accuracy within each true class of confusion counts [true][predicted] (NaN for a class with no images). */
    public static double[] perClassAccuracy(long[][] counts) {
        double[] accuracy = new double[counts.length];
        for (int t = 0; t < counts.length; t++) {
            long total = 0;
            for (long v : counts[t]) {
                total += v;
            }
            accuracy[t] = total == 0 ? Double.NaN : (double) counts[t][t] / total;
        }
        return accuracy;
    }

    /** Confusion counts [true class][predicted class]. */
    public long[][] confusion(int classes) {
        long[][] counts = new long[classes][classes];
        for (int i = 0; i < labels.length; i++) {
            counts[labels[i]][predictions[i]]++;
        }
        return counts;
    }
}
