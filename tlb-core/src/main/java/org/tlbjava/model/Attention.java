package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import org.tlbjava.config.ModelConfig;

/**
 * The reference's {@code BaseAttention}: LayerNorms on the query, key and value inputs, Keras
 * {@code MultiHeadAttention}, and a residual from the un-normalised query.
 * <pre>
 *   q, k, v = Wq LN_q(query), Wk LN_k(key), Wv LN_v(value)        split into heads
 *   probs   = softmax(q k^T / sqrt(key_dim))
 *   out     = query + Wo (dropout(probs) v)
 * </pre>
 * Computed as the same function in fewer, larger operations, the one fused path of this model:
 * each LayerNorm's affine and the 1/sqrt(key_dim) scale are folded into the projection weights
 * once per forward pass ({@link #fold}), each input is standardized once per chunk however many
 * attentions read it ({@link Pass#standardized}), and projections of one input run as one matmul
 * (q, k, v for self-attention; k, v for cross-attention). {@code PlainPathTest} holds it to the
 * equations above.
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

    /**
     * This attention's weights for one forward pass, input LayerNorms and scale folded in:
     * rows [q; k; v] of the projections, and views of the q rows and the k, v rows.
     */
    record Projections(NDArray qkvWeight, NDArray qkvBias, NDArray qWeight, NDArray qBias,
            NDArray kvWeight, NDArray kvBias, NDArray outWeight, NDArray outBias) {}

    Attention(ModelConfig c, Dropout dropout) {
        int dim = c.embedDim();
        this.heads = c.numHeads();
        this.keyDim = c.keyDim();
        this.dropout = dropout;
        this.dropoutRate = (float) c.attnDrop();
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

    /** The folded weights; made once per forward pass and used for every chunk. */
    Projections fold(Pass pass) {
        NDArray[] q = query.foldAfter(queryNorm, pass);
        NDArray[] k = key.foldAfter(keyNorm, pass);
        NDArray[] v = value.foldAfter(valueNorm, pass);
        NDArray qWeight = q[0].mul(scaleArray);
        NDArray qBias = q[1].mul(scaleArray);
        NDArray kvWeight = k[0].concat(v[0], 0);
        NDArray kvBias = k[1].concat(v[1], 0);
        NDArray[] out = output.weightAndBias(pass);
        return new Projections(qWeight.concat(kvWeight, 0), qBias.concat(kvBias, 0), qWeight, qBias,
                kvWeight, kvBias, out[0], out[1]);
    }

    /** Attention of {@code query} over {@code keyValue}; the same stream for both is self-attention. */
    Result forward(Pass pass, NDArray query, NDArray keyValue) {
        Projections p = pass.projections(this);
        NDArray q;
        NDArray k;
        NDArray v;
        if (query == keyValue) {
            NDList qkv = Linear.linear(pass.standardized(query), p.qkvWeight(), p.qkvBias()).singletonOrThrow().split(3, 2);
            q = qkv.get(0);
            k = qkv.get(1);
            v = qkv.get(2);
        } else {
            q = Linear.linear(pass.standardized(query), p.qWeight(), p.qBias()).singletonOrThrow();
            NDList kv = Linear.linear(pass.standardized(keyValue), p.kvWeight(), p.kvBias()).singletonOrThrow().split(2, 2);
            k = kv.get(0);
            v = kv.get(1);
        }
        NDArray probs = splitHeads(q).matMul(splitHeads(k).swapAxes(-1, -2)).softmax(-1); // q already scaled
        NDArray mixed = dropout.apply(probs, dropoutRate, pass.training).matMul(splitHeads(v));
        NDArray out = Linear.linear(mergeHeads(mixed), p.outWeight(), p.outBias()).singletonOrThrow();
        return new Result(query.add(out), heads == 1 ? probs.expandDims(1) : probs);
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

    /**
     * [batch, tokens, heads*key_dim] to [batch, heads, tokens, key_dim]; a single head stays
     * [batch, tokens, key_dim], which saves the reshapes and transposes (and the engine's copies).
     */
    private NDArray splitHeads(NDArray x) {
        if (heads == 1) {
            return x;
        }
        long batch = x.getShape().get(0);
        long tokens = x.getShape().get(1);
        return x.reshape(batch, tokens, heads, keyDim).transpose(0, 2, 1, 3);
    }

    private NDArray mergeHeads(NDArray x) {
        if (heads == 1) {
            return x;
        }
        long batch = x.getShape().get(0);
        long tokens = x.getShape().get(2);
        return x.transpose(0, 2, 1, 3).reshape(batch, tokens, (long) heads * keyDim);
    }
}
