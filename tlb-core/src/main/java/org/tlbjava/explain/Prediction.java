package org.tlbjava.explain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A classification: the most likely class and the probability of every class.
 *
 * @param probabilities softmax output, indexed like {@code classes}
 */
public record Prediction(List<String> classes, float[] probabilities) {
    /** Index of the most likely class. */
    public int classIndex() {
        int best = 0;
        for (int c = 1; c < probabilities.length; c++) {
            if (probabilities[c] > probabilities[best]) {
                best = c;
            }
        }
        return best;
    }

    public String className() {
        return classes.get(classIndex());
    }

    public float probability() {
        return probabilities[classIndex()];
    }

    /** The {@code k} most likely classes, most likely first. */
    public List<Integer> top(int k) {
        List<Integer> order = new ArrayList<>();
        for (int c = 0; c < probabilities.length; c++) {
            order.add(c);
        }
        order.sort(Comparator.comparingDouble((Integer c) -> probabilities[c]).reversed());
        return order.subList(0, Math.min(k, order.size()));
    }
}
