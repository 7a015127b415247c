package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import org.tlbjava.config.ModelConfig;

/**
 * A Transformer block of the paper's cell: ffn(attention(query, key=value)), each block with
 * weights of its own. With one stream for both it is self-attention; with two, cross-attention.
 */
final class AttentionBlock extends Module {
    private final Attention attention;
    private final FeedForward ffn;

    AttentionBlock(ModelConfig c, Dropout dropout) {
        attention = addChildBlock("attention", new Attention(c, dropout));
        ffn = addChildBlock("ffn", new FeedForward(c.embedDim(), dropout, (float) c.ffnDrop()));
    }

    Attention.Result forward(Pass pass, NDArray query, NDArray keyValue) {
        Attention.Result attended = attention.forward(pass, query, keyValue);
        return new Attention.Result(ffn.forward(pass, attended.out()), attended.probs());
    }

    /** This block as a layer of the fused recurrence; {@code readsState}: its keys and values are the state. */
    FusedRecurrence.Layer fusedLayer(boolean readsState) {
        return new FusedRecurrence.Layer(attention, ffn, readsState);
    }
}
