package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.io.IOException;
import org.tlbjava.model.TlbModel;

/**
 * An exponential moving average of the model's weights, updated after every optimizer step t:
 * <pre>
 *   average = d * average + (1 - d) * w,   d = min(decay, (1 + t) / (10 + t))
 * </pre>
 * The second term of the min (TensorFlow's ExponentialMovingAverage with num_updates) lets the
 * average follow the fast-moving early weights instead of remembering the initialisation.
 */
public final class WeightAverage {
    private final double decay;
    private final List<Parameter> weights = new ArrayList<>();
    private final List<NDArray> average = new ArrayList<>();

    public WeightAverage(TlbModel model, NDManager manager, double decay) {
        this.decay = decay;
        for (Pair<String, Parameter> p : model.getParameters()) {
            weights.add(p.getValue()); // the Parameter, not its array: loading a checkpoint replaces arrays
            NDArray copy = manager.zeros(p.getValue().getShape());
            copy.set(p.getValue().getArray().toFloatArray());
            average.add(copy);
        }
    }

    /** The decay used after step {@code t}. */
    public static double decayAt(double decay, long t) {
        return Math.min(decay, (1.0 + t) / (10.0 + t));
    }

    /** Folds parameter {@code i}'s current value in after step {@code t}. Temporaries go to the caller's scope. */
    public void update(int i, long t) {
        float d = (float) decayAt(decay, t);
        average.get(i).muli(d).addi(weights.get(i).getArray().mul(1 - d));
    }

    /**
     * Runs {@code body} with the averaged weights in the model and its replicas, then puts the
     * trained weights back.
     */
    public <T> T applied(DataParallel workers, Body<T> body) throws IOException {
        float[][] trained = new float[weights.size()][];
        workers.forEachParameter(i -> { // on the workers' threads, where gradient recording is off
            trained[i] = weights.get(i).getArray().toFloatArray();
            weights.get(i).getArray().set(average.get(i).toFloatArray());
            workers.broadcastWeight(i);
        });
        try {
            return body.get();
        } finally {
            workers.forEachParameter(i -> {
                weights.get(i).getArray().set(trained[i]);
                workers.broadcastWeight(i);
            });
        }
    }

    /** What runs with the averaged weights in place: a validation, or writing the model files. */
    public interface Body<T> {
        T get() throws IOException;
    }

    /** The averaged weights, in parameter order, for a checkpoint. */
    public NDList state() {
        return new NDList(average);
    }

    public void restore(List<NDArray> saved) {
        for (int i = 0; i < average.size(); i++) {
            average.get(i).set(saved.get(i).toFloatArray());
        }
    }
}
