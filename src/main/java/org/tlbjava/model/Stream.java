package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/**
 * A stream (fast or slow) together with its standardized form x̂ = (x - mean) / sqrt(var + ε)
 * over the features: a LayerNorm without its affine. Every attention LayerNorms its inputs
 * with γ and β of its own; those are folded into the projections that follow
 * ({@link Attention.Projections}), so one x̂ per stream serves them all: the slow stream alone
 * feeds four attentions per chunk.
 */
record Stream(NDArray x, NDArray standardized) {

    /** Makes streams for features of one width; owns the unit affine the engine's LayerNorm takes. */
    static final class Standardizer {
        private final Shape features;
        private final NDArray ones;
        private final NDArray zeros;

        Standardizer(NDManager manager, int dim) {
            features = new Shape(dim);
            ones = manager.ones(features);
            zeros = manager.zeros(features);
        }

        Stream of(NDArray x) {
            return new Stream(x, LayerNorm.layerNorm(x, features, ones, zeros, Norm.EPSILON).singletonOrThrow());
        }
    }
}
