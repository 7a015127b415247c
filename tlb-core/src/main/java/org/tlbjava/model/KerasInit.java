package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

/** Keras' default initialisers. Glorot's limit uses the fans Keras computes from its own kernel shape. */
final class KerasInit {
    private KerasInit() {}

    /**
     * Glorot uniform for a Keras kernel of shape {@code kerasShape}: fan_in = shape[-2] x
     * receptive field, fan_out = shape[-1] x receptive field, receptive field = product of the
     * leading axes (Keras' {@code compute_fans}).
     */
    static Initializer glorotUniform(long... kerasShape) {
        long receptive = 1;
        for (int i = 0; i < kerasShape.length - 2; i++) {
            receptive *= kerasShape[i];
        }
        long fanIn = kerasShape[kerasShape.length - 2] * receptive;
        long fanOut = kerasShape[kerasShape.length - 1] * receptive;
        float limit = (float) Math.sqrt(6.0 / (fanIn + fanOut));
        return uniform(limit);
    }

    /** Uniform on [-limit, limit); Keras' Embedding default is {@code uniform(0.05)}. */
    static Initializer uniform(float limit) {
        return (NDManager manager, Shape shape, DataType type) -> manager.randomUniform(-limit, limit, shape, type);
    }
}
