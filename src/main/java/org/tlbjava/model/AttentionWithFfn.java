package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;

/**
 * The reference's {@code AttentionWithFFN}: an attention for the fast stream, one for the slow
 * stream, and one feed-forward shared by both. Keras builds the slow attention only when it is
 * called, so it exists here only when {@code withSlowAttention}.
 */
final class AttentionWithFfn extends Module {
    private final Attention fastAttention;
    private final Attention slowAttention;
    private final FeedForward ffn;

    /** Output of a call: the new stream and the attention probabilities that made it. */
    record Result(NDArray out, NDArray probs) {}

    AttentionWithFfn(int dim, int heads, int keyDim, float attnDrop, float ffnDrop, boolean withSlowAttention) {
        fastAttention = addChildBlock("fast_attention", new Attention(dim, heads, keyDim, attnDrop));
        slowAttention = withSlowAttention
                ? addChildBlock("slow_attention", new Attention(dim, heads, keyDim, attnDrop))
                : null;
        ffn = addChildBlock("ffn", new FeedForward(dim, ffnDrop));
    }

    /** {@code stream="fast"}: ffn(fast_attention(query, key, value)). */
    Result fast(ParameterStore ps, NDArray query, NDArray key, NDArray value, boolean training) {
        return withFfn(ps, fastAttention.forward(ps, query, key, value, training), training);
    }

    /** {@code stream="slow"}: ffn(slow_attention(query, key, value)). */
    Result slow(ParameterStore ps, NDArray query, NDArray key, NDArray value, boolean training) {
        return withFfn(ps, slowAttention.forward(ps, query, key, value, training), training);
    }

    private Result withFfn(ParameterStore ps, Attention.Result attended, boolean training) {
        return new Result(ffn.forward(ps, attended.out(), training), attended.probs());
    }
}
