package org.tlbjava.export;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * One block of a model and its trained parameters, read through DJL's public block tree. DJL
 * names a child by its position and name ("02rnn"); the position is dropped here, so children
 * are found by the names the model's classes give them ("rnn").
 */
final class Weights {
    private final Block block;
    private final String path;

    /** A parameter's values (row-major) and shape. */
    record Tensor(float[] values, long[] shape) {}

    private Weights(Block block, String path) {
        this.block = block;
        this.path = path;
    }

    static Weights of(Block root) {
        return new Weights(root, "");
    }

    /** Where this block sits in the model, dot-separated: it names the block's weights in the ONNX file. */
    String path() {
        return path;
    }

    Weights child(String name) {
        for (Weights child : children()) {
            if (child.name().equals(name)) {
                return child;
            }
        }
        throw new IllegalStateException("the model has no block " + qualified(name));
    }

    /** The child blocks in the order the model declares (and calls) them. */
    List<Weights> children() {
        List<Weights> children = new ArrayList<>();
        for (Pair<String, Block> c : block.getChildren()) {
            String name = c.getKey().replaceFirst("^\\d+", "");
            children.add(new Weights(c.getValue(), qualified(name)));
        }
        return children;
    }

    String name() {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    Tensor tensor(String name) {
        Parameter p = block.getDirectParameters().get(name);
        if (p == null || !p.isInitialized()) {
            throw new IllegalStateException("the model has no trained parameter " + qualified(name));
        }
        NDArray array = p.getArray();
        return new Tensor(array.toFloatArray(), array.getShape().getShape());
    }

    private String qualified(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }
}
