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

    /** The recurrence over all chunks on the fused path, with this cell's weights. */
    FusedRecurrence fused();

    /** The fused path's state before the first chunk, [batch, state vectors, embed_dim] row-major. */
    float[] fusedInitialState(FusedPass p, int batch);

    /** Takes the gradient of {@link #fusedInitialState} (a learned state's parameters get it). */
    void fusedInitialStateBackward(FusedPass p, float[] dState, int batch);
}
