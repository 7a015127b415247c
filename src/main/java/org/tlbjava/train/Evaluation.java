package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.FloatBuffer;
import java.util.function.IntConsumer;
import org.tlbjava.config.TlbConfig;
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

    /** Evaluates {@code set} in batches of {@code batchSize}; {@code onBatch} hears the count of batches done. */
    public static Evaluation run(TlbModel model, NDManager manager, ImageSet set, int batchSize, IntConsumer onBatch) {
        TlbConfig config = model.config();
        ParameterStore ps = new ParameterStore(manager, false);
        int n = set.size();
        int[] labels = new int[n];
        int[] predictions = new int[n];
        float[][] probabilities = new float[n][];
        double lossSum = 0;
        int correct = 0;
        int done = 0;
        try (BatchLoader loader = BatchLoader.evaluation(set, config, batchSize)) {
            for (Batch batch : loader) {
                try (NDScope temporaries = new NDScope()) {
                    NDArray logits = model.forward(ps, images(manager, batch, config), false);
                    NDArray logProbs = logits.logSoftmax(-1);
                    float[] lp = logProbs.toFloatArray();
                    int classes = (int) logits.getShape().get(1);
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
                }
                onBatch.accept(++done);
            }
        }
        return new Evaluation(lossSum / n, (double) correct / n, labels, predictions, probabilities);
    }

    /** The batch's images as [size, 3, image_size, image_size]. */
    static NDArray images(NDManager manager, Batch batch, TlbConfig config) {
        return images(manager, batch, config, 0, batch.size());
    }

    /** Images {@code [from, from + count)} of the batch as an array. */
    static NDArray images(NDManager manager, Batch batch, TlbConfig config, int from, int count) {
        int per = 3 * config.imageSize * config.imageSize;
        return manager.create(FloatBuffer.wrap(batch.images(), from * per, count * per).slice(),
                new Shape(count, 3, config.imageSize, config.imageSize));
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
