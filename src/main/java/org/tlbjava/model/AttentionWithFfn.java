package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import org.tlbjava.config.TlbConfig;

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

    AttentionWithFfn(TlbConfig c, Dropout dropout, boolean withSlowAttention) {
        fastAttention = addChildBlock("fast_attention", attention(c, dropout));
        slowAttention = withSlowAttention ? addChildBlock("slow_attention", attention(c, dropout)) : null;
        ffn = addChildBlock("ffn", new FeedForward(c.embedDim, dropout, (float) c.ffnDrop));
    }

    private static Attention attention(TlbConfig c, Dropout dropout) {
        return new Attention(c.embedDim, c.numHeads, c.keyDim, dropout, (float) c.attnDrop);
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
