package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * Keras' AdamW (beta1 0.9, beta2 0.999, epsilon 1e-7), with decoupled weight decay applied to
 * every variable first, as Keras does:
 * <pre>
 *   w -= lr * wd * w
 *   m += (g - m)(1 - beta1);  v += (g^2 - v)(1 - beta2)
 *   w -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)
 * </pre>
 */
public final class AdamW {
    static final float BETA1 = 0.9f;
    static final float BETA2 = 0.999f;
    static final float EPSILON = 1e-7f;

    private final List<Parameter> params = new ArrayList<>();
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final double learningRate;
    private final double weightDecay;
    private long step;

    public AdamW(Iterable<Pair<String, Parameter>> parameters, NDManager manager, double learningRate,
            double weightDecay) {
        for (Pair<String, Parameter> p : parameters) {
            params.add(p.getValue());
            m.add(manager.zeros(p.getValue().getShape()));
            v.add(manager.zeros(p.getValue().getShape()));
        }
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
    }

    /** Applies one update from the accumulated gradients, then zeroes them. */
    public void step() {
        step++;
        float alpha = (float) (learningRate * Math.sqrt(1 - Math.pow(BETA2, step)) / (1 - Math.pow(BETA1, step)));
        float decay = (float) (1 - learningRate * weightDecay);
        try (NDScope temporaries = new NDScope()) { // closes every array made below
            for (int i = 0; i < params.size(); i++) {
                NDArray w = params.get(i).getArray();
                NDArray g = w.getGradient();
                NDArray mi = m.get(i).muli(BETA1).addi(g.mul(1 - BETA1));
                NDArray vi = v.get(i).muli(BETA2).addi(g.square().muli(1 - BETA2));
                w.muli(decay).subi(mi.mul(alpha).divi(vi.sqrt().addi(EPSILON)));
                g.muli(0);
            }
        }
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
