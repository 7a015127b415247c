package org.tlbjava.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import org.tlbjava.config.TlbConfig;

/**
 * The reference's {@code AttentionWithFFN}: an attention for the fast stream, one for the slow
 * stream, and one feed-forward shared by both. Keras builds the slow attention only when it is
 * called, so it exists here only when {@code withSlowAttention}. The reference always passes
 * one tensor as both key and value, so a call here takes a query stream and a key-value stream.
 */
final class AttentionWithFfn extends Module {
    private final Attention fastAttention;
    private final Attention slowAttention;
    private final FeedForward ffn;

    /** Output of a call: the new stream and the attention probabilities that made it. */
    record Result(NDArray out, NDArray probs) {}

    /** The attentions' folded weights for one forward pass ({@code slow} null without a slow attention). */
    record Folded(Attention.Projections fast, Attention.Projections slow) {}

    AttentionWithFfn(TlbConfig c, Dropout dropout, boolean withSlowAttention) {
        fastAttention = addChildBlock("fast_attention", attention(c, dropout));
        slowAttention = withSlowAttention ? addChildBlock("slow_attention", attention(c, dropout)) : null;
        ffn = addChildBlock("ffn", new FeedForward(c.embedDim, dropout, (float) c.ffnDrop));
    }

    private static Attention attention(TlbConfig c, Dropout dropout) {
        return new Attention(c.embedDim, c.numHeads, c.keyDim, dropout, (float) c.attnDrop);
    }

    Folded fold(ParameterStore ps, Device device, boolean training) {
        return new Folded(fastAttention.fold(ps, device, training),
                slowAttention == null ? null : slowAttention.fold(ps, device, training));
    }

    /** {@code stream="fast"}: ffn(fast_attention(query, key=value)). */
    Result fast(ParameterStore ps, Folded w, Stream query, Stream keyValue, boolean training) {
        return withFfn(ps, fastAttention.forward(w.fast(), query, keyValue, training), training);
    }

    /** {@code stream="slow"}: ffn(slow_attention(query, key=value)). */
    Result slow(ParameterStore ps, Folded w, Stream query, Stream keyValue, boolean training) {
        return withFfn(ps, slowAttention.forward(w.slow(), query, keyValue, training), training);
    }

    private Result withFfn(ParameterStore ps, Attention.Result attended, boolean training) {
        return new Result(ffn.forward(ps, attended.out(), training), attended.probs());
    }
}
