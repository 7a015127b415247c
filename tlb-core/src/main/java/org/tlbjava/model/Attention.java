package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.List;
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
    private final int dim;
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
        this.dim = c.embedDim();
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

    int dim() {
        return dim;
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

    /**
     * What the fused backward reads of a fused forward call: the standardized inputs, the
     * projections (q, k, v of a self-attention side by side in one array; q apart from k, v
     * otherwise), the attention weights before dropout and its mask (or null), and the mixed
     * values. Rows are batch-major: query row b * queries + t.
     */
    record FusedTape(FusedMath.Standardized query, FusedMath.Standardized keyValue, float[] queryProjection,
            float[] keyValueProjection, float[] probs, float[] mask, float[] mixed, int batch, int queries, int keys) {}

    /** Where q, k and v of a call lie: q row t at q[qOffset + t * qStride], k and v alike. */
    private record Layout(int qOffset, int qStride, int kOffset, int vOffset, int kvStride) {}

    private Layout layout(boolean self) {
        int inner = heads * keyDim;
        return self ? new Layout(0, 3 * inner, inner, 2 * inner, 3 * inner) : new Layout(0, inner, 0, inner, 2 * inner);
    }

    /** The fused path's folded projections of the query input: q, k and v for self-attention, else q. */
    private FoldedProjection queryFold(FusedPass p, boolean self) {
        return self ? p.folded(List.of(query, key, value), List.of(queryNorm, keyNorm, valueNorm))
                : p.folded(List.of(query), List.of(queryNorm));
    }

    private FoldedProjection keyValueFold(FusedPass p) {
        return p.folded(List.of(key, value), List.of(keyNorm, valueNorm));
    }

    /**
     * Fused path of {@link #forward}: out[batch * queries, dim] = queries + Wo (dropout(probs) v).
     * The same array as {@code queries} and {@code keysValues} is self-attention.
     */
    FusedTape fusedForward(FusedPass p, float[] queries, int tq, float[] keysValues, int tk, int batch, float[] out) {
        boolean self = keysValues == queries;
        int rq = batch * tq;
        int rk = batch * tk;
        int inner = heads * keyDim;
        Layout at = layout(self);
        FusedMath.Standardized sq = p.standardize(queries, rq, dim);
        FusedMath.Standardized skv = self ? sq : p.standardize(keysValues, rk, dim);
        FoldedProjection qFold = queryFold(p, self);
        float[] qs = p.take(rq * qFold.width());
        qFold.forward(sq.xhat(), rq, qs);
        float[] kvs = qs;
        if (!self) {
            FoldedProjection kvFold = keyValueFold(p);
            kvs = p.take(rk * kvFold.width());
            kvFold.forward(skv.xhat(), rk, kvs);
        }
        int n = batch * heads * tq * tk;
        float[] probs = p.take(n);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < tq; t++) {
                    int row = ((b * heads + h) * tq + t) * tk;
                    int qo = at.qOffset() + (b * tq + t) * at.qStride() + h * keyDim;
                    int ko = at.kOffset() + b * tk * at.kvStride() + h * keyDim;
                    FusedMath.dotRows(qs, qo, kvs, ko, at.kvStride(), tk, keyDim, scale, probs, row);
                }
            }
        }
        FusedMath.softmaxRows(probs, batch * heads * tq, tk);
        float[] mask = p.training && dropoutRate > 0 ? dropout.mask(p.take(n), n, dropoutRate) : null;
        float[] mixed = p.take(rq * inner);
        float[] weights = new float[tk];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int vBase = at.vOffset() + b * tk * at.kvStride() + h * keyDim;
                for (int t = 0; t < tq; t++) {
                    int row = ((b * heads + h) * tq + t) * tk;
                    for (int s = 0; s < tk; s++) {
                        weights[s] = mask == null ? probs[row + s] : probs[row + s] * mask[row + s];
                    }
                    FusedMath.combineRows(weights, 0, 1, tk, kvs, vBase, at.kvStride(), mixed,
                            (b * tq + t) * inner + h * keyDim, keyDim, false);
                }
            }
        }
        output.fusedForward(p, mixed, rq, out);
        FusedMath.addInto(queries, out, rq * dim);
        return new FusedTape(sq, skv, qs, kvs, probs, mask, mixed, batch, tq, tk);
    }

    /**
     * Fused path of the backward pass: the weights' gradients, and the inputs' gradients added
     * to {@code dQueries} and {@code dKeysValues} (one array for self-attention).
     */
    void fusedBackward(FusedPass p, FusedTape t, float[] dOut, float[] dQueries, float[] dKeysValues) {
        boolean self = t.keyValue() == t.query();
        int tq = t.queries();
        int tk = t.keys();
        int rq = t.batch() * tq;
        int rk = t.batch() * tk;
        int inner = heads * keyDim;
        Layout at = layout(self);
        float[] dMixed = p.take(rq * inner);
        output.fusedBackward(p, t.mixed(), dOut, rq, dMixed);
        FusedMath.addInto(dOut, dQueries, rq * dim);
        FoldedProjection qFold = queryFold(p, self);
        float[] dqs = p.take(rq * qFold.width()); // every entry written once below
        FoldedProjection kvFold = self ? qFold : keyValueFold(p);
        float[] dkvs = self ? dqs : p.take(rk * kvFold.width());
        float[] qs = t.queryProjection();
        float[] kvs = t.keyValueProjection();
        float[] probs = t.probs();
        float[] mask = t.mask();
        float[] weights = new float[tq * tk];
        float[] dScores = new float[tq * tk];
        for (int b = 0; b < t.batch(); b++) {
            for (int h = 0; h < heads; h++) {
                int qBase = at.qOffset() + b * tq * at.qStride() + h * keyDim;
                int kBase = at.kOffset() + b * tk * at.kvStride() + h * keyDim;
                int vBase = at.vOffset() + b * tk * at.kvStride() + h * keyDim;
                int mBase = b * tq * inner + h * keyDim;
                int pBase = (b * heads + h) * tq * tk;
                for (int i = 0; i < tq; i++) {
                    FusedMath.dotRows(dMixed, mBase + i * inner, kvs, vBase, at.kvStride(), tk, keyDim, 1, dScores, i * tk);
                    float expected = 0;
                    for (int s = 0; s < tk; s++) {
                        int e = i * tk + s;
                        float m = mask == null ? 1 : mask[pBase + e];
                        weights[e] = probs[pBase + e] * m;
                        dScores[e] *= m;
                        expected += probs[pBase + e] * dScores[e];
                    }
                    for (int s = 0; s < tk; s++) {
                        int e = i * tk + s;
                        dScores[e] = scale * probs[pBase + e] * (dScores[e] - expected);
                    }
                }
                for (int s = 0; s < tk; s++) { // dv_s = Σ_i weights[i,s] dMixed_i; dk_s = Σ_i dScores[i,s] q_i
                    FusedMath.combineRows(weights, s, tk, tq, dMixed, mBase, inner, dkvs, vBase + s * at.kvStride(), keyDim, false);
                    FusedMath.combineRows(dScores, s, tk, tq, qs, qBase, at.qStride(), dkvs, kBase + s * at.kvStride(), keyDim, false);
                }
                for (int i = 0; i < tq; i++) { // dq_i = Σ_s dScores[i,s] k_s
                    FusedMath.combineRows(dScores, i * tk, 1, tk, kvs, kBase, at.kvStride(), dqs, qBase + i * at.qStride(), keyDim, false);
                }
            }
        }
        float[] dxq = p.take(rq * dim);
        qFold.backward(t.query().xhat(), dqs, rq, dxq);
        FusedMath.standardizeBackward(t.query(), dxq, dQueries);
        if (!self) {
            float[] dxkv = p.take(rk * dim);
            kvFold.backward(t.keyValue().xhat(), dkvs, rk, dxkv);
            FusedMath.standardizeBackward(t.keyValue(), dxkv, dKeysValues);
        }
    }
}
