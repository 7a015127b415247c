package org.tlbjava.model;

import ai.djl.ndarray.NDArray;

/** One step of a TLB recurrence over chunks: the chunk's fast stream and the slow state it leaves. */
interface Cell {
    /** A step's result: the new fast stream, the new slow state, and the bottleneck's attention over the chunk. */
    record Step(NDArray fast, NDArray state, NDArray bottleneckProbs) {}

    /** The state before the first chunk, [batch, state vectors, embed_dim]. */
    NDArray initialState(Pass pass, NDArray chunks);

    Step call(Pass pass, NDArray chunk, NDArray state);

    /** Self-attention calls per chunk (one attention and one feed-forward each). */
    int selfAttentionCalls();

    /** Cross-attention calls per chunk, the bottleneck's included. */
    int crossAttentionCalls();
}
