package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

/**
 * The reference's {@code BaseAttention}: LayerNorms on the query, key and value inputs, Keras
 * {@code MultiHeadAttention}, and a residual from the un-normalised query.
 * <pre>
 *   q, k, v = Wq LN_q(query), Wk LN_k(key), Wv LN_v(value)        split into heads
 *   probs   = softmax(q k^T / sqrt(key_dim))
 *   out     = query + Wo (dropout(probs) v)
 * </pre>
 */
final class Attention extends Module {
    private final int heads;
    private final int keyDim;
    private final Dropout dropout;
    private final float dropoutRate;
    private final float scale;
    private NDArray scaleArray;
    private final Norm queryNorm;
    private final Norm keyNorm;
    private final Norm valueNorm;
    private final Dense query;
    private final Dense key;
    private final Dense value;
    private final Dense output;

    /** Output of one attention call; {@code probs} is [batch, heads, queries, keys], before dropout. */
    record Result(NDArray out, NDArray probs) {}

    Attention(int dim, int heads, int keyDim, Dropout dropout, float dropoutRate) {
        this.heads = heads;
        this.keyDim = keyDim;
        this.dropout = dropout;
        this.dropoutRate = dropoutRate;
        this.scale = (float) (1.0 / Math.sqrt(keyDim));
        int inner = heads * keyDim;
        queryNorm = addChildBlock("q_layernorm", new Norm(dim));
        keyNorm = addChildBlock("k_layernorm", new Norm(dim));
        valueNorm = addChildBlock("v_layernorm", new Norm(dim));
        // Keras kernels are (dim, heads, key_dim) and (heads, key_dim, dim): their Glorot fans differ from a Dense's.
        query = addChildBlock("query", new Dense(dim, inner, KerasInit.glorotUniform(dim, heads, keyDim)));
        key = addChildBlock("key", new Dense(dim, inner, KerasInit.glorotUniform(dim, heads, keyDim)));
        value = addChildBlock("value", new Dense(dim, inner, KerasInit.glorotUniform(dim, heads, keyDim)));
        output = addChildBlock("attention_output", new Dense(inner, dim, KerasInit.glorotUniform(heads, keyDim, dim)));
    }

    Result forward(ParameterStore ps, NDArray q, NDArray k, NDArray v, boolean training) {
        NDArray qh = splitHeads(query.forward(ps, queryNorm.forward(ps, q, training), training)).mul(scaleArray);
        NDArray kh = splitHeads(key.forward(ps, keyNorm.forward(ps, k, training), training));
        NDArray vh = splitHeads(value.forward(ps, valueNorm.forward(ps, v, training), training));
        NDArray probs = qh.matMul(kh.transpose(0, 1, 3, 2)).softmax(-1);
        NDArray mixed = dropout.apply(probs, dropoutRate, training).matMul(vh);
        return new Result(q.add(output.forward(ps, mergeHeads(mixed), training)), probs);
    }

    /**
     * Keeps 1/sqrt(key_dim) as an array of this block's own. {@code NDArray.mul(Number)} closes its
     * temporary scalar right after the call, while autograd still reads it in the backward pass
     * (seen here as NaN gradients), so no scalar product may enter the graph.
     */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        super.initialize(manager, dataType, inputShapes);
        scaleArray = manager.create(scale);
    }

    /** [batch, tokens, heads*key_dim] to [batch, heads, tokens, key_dim]. */
    private NDArray splitHeads(NDArray x) {
        long batch = x.getShape().get(0);
        long tokens = x.getShape().get(1);
        return x.reshape(batch, tokens, heads, keyDim).transpose(0, 2, 1, 3);
    }

    private NDArray mergeHeads(NDArray x) {
        long batch = x.getShape().get(0);
        long tokens = x.getShape().get(2);
        return x.transpose(0, 2, 1, 3).reshape(batch, tokens, (long) heads * keyDim);
    }
}
