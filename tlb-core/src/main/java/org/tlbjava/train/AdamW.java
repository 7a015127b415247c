package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * Keras 3's AdamW (beta1 0.9, beta2 0.999, epsilon 1e-7), with decoupled weight decay applied to
 * each decayed variable first, as Keras does, at the step's learning rate lr:
 * <pre>
 *   w -= w * (lr * wd)
 *   m += (g - m)(1 - beta1);  v += (g^2 - v)(1 - beta2)
 *   w -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)
 * </pre>
 * Epsilon is added to sqrt(v), outside the bias correction (PyTorch adds it to sqrt(v / (1 - beta2^t))).
 * The float32 constants are Keras': 1 - beta in double, then rounded; beta^t from the rounded beta.
 * A step is {@link #begin} then {@link #update} of every parameter; the updates are independent,
 * so callers may run them on several threads.
 */
public final class AdamW {
    static final float BETA1 = 0.9f;
    static final float BETA2 = 0.999f;
    static final float EPSILON = 1e-7f;
    // Keras takes 1 - beta in Python (double), then float32: 0.001f, not 1 - 0.999f = 0.00099998713
    private static final float ONE_MINUS_BETA1 = (float) (1 - 0.9);
    private static final float ONE_MINUS_BETA2 = (float) (1 - 0.999);

    private final List<Parameter> params = new ArrayList<>();
    private final boolean[] decayed;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final double weightDecay;
    private long step;

    /** The factors of one step, shared by every parameter's update: the step size and lr * wd. */
    public record Step(float alpha, float decay) {}

    /** Decays every parameter (Keras' default). */
    public AdamW(Iterable<Pair<String, Parameter>> parameters, NDManager manager, double weightDecay) {
        this(parameters, manager, weightDecay, (name, p) -> true);
    }

    /** Decays the parameters {@code decays} accepts. */
    public AdamW(Iterable<Pair<String, Parameter>> parameters, NDManager manager, double weightDecay,
            BiPredicate<String, Parameter> decays) {
        List<Boolean> mask = new ArrayList<>();
        for (Pair<String, Parameter> p : parameters) {
            params.add(p.getValue());
            mask.add(decays.test(p.getKey(), p.getValue()));
            m.add(manager.zeros(p.getValue().getShape()));
            v.add(manager.zeros(p.getValue().getShape()));
        }
        decayed = new boolean[mask.size()];
        for (int i = 0; i < decayed.length; i++) {
            decayed[i] = mask.get(i);
        }
        this.weightDecay = weightDecay;
    }

    /** Counts a new step at learning rate {@code learningRate}; returns its factors. */
    public Step begin(double learningRate) {
        step++;
        return new Step((float) (learningRate * Math.sqrt(1 - Math.pow(BETA2, step)) / (1 - Math.pow(BETA1, step))),
                (float) learningRate * (float) weightDecay);
    }

    /** Updates parameter {@code i} from its gradient, then zeroes the gradient. Temporaries go to the caller's scope. */
    public void update(int i, Step s) {
        NDArray w = params.get(i).getArray();
        NDArray g = w.getGradient();
        NDArray mi = m.get(i).addi(g.sub(m.get(i)).muli(ONE_MINUS_BETA1));
        NDArray vi = v.get(i).addi(g.square().subi(v.get(i)).muli(ONE_MINUS_BETA2));
        if (decayed[i]) {
            w.subi(w.mul(s.decay()));
        }
        w.subi(mi.mul(s.alpha()).divi(vi.sqrt().addi(EPSILON)));
        g.muli(0);
    }

    /** Whether parameter {@code i} is decayed. */
    public boolean decays(int i) {
        return decayed[i];
    }

    public int size() {
        return params.size();
    }

    public long steps() {
        return step;
    }

    /** Moments m then v, one array per parameter each, for a checkpoint. */
    public NDList state() {
        NDList list = new NDList();
        list.addAll(m);
        list.addAll(v);
        return list;
    }

    /** Restores what {@link #state} saved, and the step count. */
    public void restore(NDList state, long steps) {
        if (state.size() != 2 * params.size()) {
            throw new IllegalArgumentException("optimizer state has " + state.size() + " arrays, expected "
                    + 2 * params.size());
        }
        for (int i = 0; i < params.size(); i++) {
            m.get(i).set(state.get(i).toFloatArray());
            v.get(i).set(state.get(params.size() + i).toFloatArray());
        }
        this.step = steps;
    }
}
