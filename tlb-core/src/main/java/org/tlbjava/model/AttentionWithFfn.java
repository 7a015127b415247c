package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import org.tlbjava.config.ModelConfig;

/**
 * The reference's {@code AttentionWithFFN}: an attention for the fast stream, one for the slow
 * stream, and one feed-forward shared by both. Keras builds the slow attention only when it is
 * called, so it exists here only when {@code withSlowAttention}. The reference always passes
 * one tensor as both key and value, so a call here takes a query and a key-value stream.
 */
final class AttentionWithFfn extends Module {
    private final Attention fastAttention;
    private final Attention slowAttention;
    private final FeedForward ffn;

    AttentionWithFfn(ModelConfig c, Dropout dropout, boolean withSlowAttention) {
        fastAttention = addChildBlock("fast_attention", new Attention(c, dropout));
        slowAttention = withSlowAttention ? addChildBlock("slow_attention", new Attention(c, dropout)) : null;
        ffn = addChildBlock("ffn", new FeedForward(c.embedDim(), dropout, (float) c.ffnDrop()));
    }

    /** {@code stream="fast"}: ffn(fast_attention(query, key=value)). */
    Attention.Result fast(Pass pass, NDArray query, NDArray keyValue) {
        return withFfn(pass, fastAttention.forward(pass, query, keyValue));
    }

    /** {@code stream="slow"}: ffn(slow_attention(query, key=value)). */
    Attention.Result slow(Pass pass, NDArray query, NDArray keyValue) {
        return withFfn(pass, slowAttention.forward(pass, query, keyValue));
    }

    private Attention.Result withFfn(Pass pass, Attention.Result attended) {
        return new Attention.Result(ffn.forward(pass, attended.out()), attended.probs());
    }

    /**
     * This block as a layer of the fused recurrence: the fast attention (which reads its own
     * stream as keys and values) or, with {@code slow}, the slow one (which reads the state).
     * The bottleneck is the fast attention of the TLB block, with the state as its query.
     */
    FusedRecurrence.Layer fusedLayer(boolean slow) {
        return new FusedRecurrence.Layer(slow ? slowAttention : fastAttention, ffn, slow);
    }
}
