package org.tlbjava.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The recurrent cell over all chunks on the fused path, for either cell: per chunk the fast
 * stream runs its layers (each an attention and a feed-forward, reading the fast stream itself
 * or the state), then the bottleneck layer lets the state read the chunk. The paper cell adds a
 * fixed position embedding to the state it reads and takes it off the state it leaves
 * ({@code statePosition}); the keras cell has none. The backward pass runs the chunks in
 * reverse, carrying the state's gradient.
 */
final class FusedRecurrence {
    /** One attention and the feed-forward after it; {@code readsState}: its keys and values are the state, else the fast stream. */
    record Layer(Attention attention, FeedForward ffn, boolean readsState) {}

    /** One layer's call: its tapes and the attention's output, the feed-forward's input. */
    private record Call(Layer layer, Attention.FusedTape attended, FeedForward.FusedTape fed) {}

    /** What a forward pass leaves: the last chunk's fast stream, the last state, and each chunk's calls in order. */
    record Tape(float[] fast, float[] state, List<List<Call>> chunks, int batch) {}

    private final List<Layer> fastLayers;
    private final Layer bottleneck;
    private final float[] statePosition;
    private final int chunks;
    private final int chunkSize;
    private final int stateLength;
    private final int dim;

    FusedRecurrence(List<Layer> fastLayers, Layer bottleneck, float[] statePosition, int chunks, int chunkSize,
            int stateLength, int dim) {
        this.fastLayers = List.copyOf(fastLayers);
        this.bottleneck = bottleneck;
        this.statePosition = statePosition;
        this.chunks = chunks;
        this.chunkSize = chunkSize;
        this.stateLength = stateLength;
        this.dim = dim;
    }

    /**
     * Runs all chunks of {@code input} [batch, chunks, chunk_size, dim] from {@code state} [batch,
     * state vectors, dim]. A training pass keeps every chunk's calls for the backward pass; an
     * eval pass keeps none and lends one chunk's arrays again to the next.
     */
    Tape forward(FusedPass p, float[] input, float[] state, int batch) {
        int fastSize = batch * chunkSize * dim;
        int stateSize = batch * stateLength * dim;
        List<List<Call>> tapes = new ArrayList<>();
        float[] lastFast = p.training ? null : p.take(fastSize);
        float[][] states = p.training ? null : new float[][] {p.take(stateSize), p.take(stateSize)};
        for (int c = 0; c < chunks; c++) {
            int mark = p.mark();
            float[] fast = p.take(fastSize);
            copyChunk(input, c, batch, fast, true);
            float[] memory = state;
            if (statePosition != null) {
                memory = p.take(stateSize);
                addPosition(state, memory, batch, 1);
            }
            List<Call> calls = new ArrayList<>();
            for (Layer layer : fastLayers) {
                float[] next = p.take(fastSize);
                calls.add(call(p, layer, fast, chunkSize, layer.readsState() ? memory : fast,
                        layer.readsState() ? stateLength : chunkSize, batch, next));
                fast = next;
            }
            float[] updated = p.take(stateSize);
            calls.add(call(p, bottleneck, memory, stateLength, fast, chunkSize, batch, updated));
            if (statePosition != null) {
                addPosition(updated, updated, batch, -1);
            }
            if (p.training) {
                tapes.add(calls);
                state = updated;
                lastFast = fast;
            } else { // the next chunk reads only the state; the head, only the last chunk's fast stream
                state = states[c % 2];
                System.arraycopy(updated, 0, state, 0, stateSize);
                System.arraycopy(fast, 0, lastFast, 0, fastSize);
                p.release(mark);
            }
        }
        return new Tape(lastFast, state, tapes, batch);
    }

    private static Call call(FusedPass p, Layer layer, float[] queries, int tq, float[] keysValues, int tk, int batch, float[] out) {
        float[] attended = p.take(batch * tq * layer.attention().dim());
        Attention.FusedTape a = layer.attention().fusedForward(p, queries, tq, keysValues, tk, batch, attended);
        FeedForward.FusedTape f = layer.ffn().fusedForward(p, attended, batch * tq, out);
        return new Call(layer, a, f);
    }

    /**
     * The backward pass from the gradients of the last fast stream and of the last state (either
     * may be null: not read): the weights' gradients, the input's added to {@code dInput}
     * (laid out as the input), and the initial state's gradient, returned.
     */
    float[] backward(FusedPass p, Tape tape, float[] dFast, float[] dState, float[] dInput) {
        int batch = tape.batch();
        int fastSize = batch * chunkSize * dim;
        int stateSize = batch * stateLength * dim;
        // The state's gradient is carried from chunk to chunk in two arrays; all else a chunk's
        // backward pass takes is lent again to the next chunk.
        float[][] dStates = {p.zeros(stateSize), p.take(stateSize)};
        if (dState != null) {
            System.arraycopy(dState, 0, dStates[0], 0, stateSize);
        }
        float[] dCarried = dStates[0];
        for (int c = chunks - 1; c >= 0; c--) {
            int mark = p.mark();
            List<Call> calls = tape.chunks().get(c);
            float[] dF = p.zeros(fastSize);
            if (c == chunks - 1 && dFast != null) {
                System.arraycopy(dFast, 0, dF, 0, fastSize);
            }
            // The state the chunk read gets the bottleneck's query gradient and every state-reading layer's key-value gradient;
            // the embedding is a constant, so the read state's gradient is the previous state's.
            float[] dMemory = dStates[(chunks - c) % 2];
            Arrays.fill(dMemory, 0, stateSize, 0f);
            backward(p, calls.get(calls.size() - 1), dCarried, dMemory, dF);
            for (int i = calls.size() - 2; i >= 0; i--) {
                Call call = calls.get(i);
                float[] dPrevious = p.zeros(fastSize);
                backward(p, call, dF, dPrevious, call.layer().readsState() ? dMemory : dPrevious);
                dF = dPrevious;
            }
            copyChunk(dInput, c, batch, dF, false);
            dCarried = dMemory;
            p.release(mark);
        }
        return dCarried;
    }

    /** One call's backward pass; what it takes besides its outputs is lent again after it. */
    private static void backward(FusedPass p, Call call, float[] dOut, float[] dQueries, float[] dKeysValues) {
        int mark = p.mark();
        Attention.FusedTape a = call.attended();
        float[] dAttended = p.zeros(a.batch() * a.queries() * call.layer().attention().dim());
        call.layer().ffn().fusedBackward(p, call.fed(), dOut, dAttended);
        call.layer().attention().fusedBackward(p, a, dAttended, dQueries, dKeysValues);
        p.release(mark);
    }

    /** Chunk c of a [batch, chunks, chunk_size, dim] array to (or, with {@code out} false, added from) a [batch, chunk_size, dim] one. */
    private void copyChunk(float[] all, int c, int batch, float[] chunk, boolean out) {
        int rows = chunkSize * dim;
        for (int b = 0; b < batch; b++) {
            int from = (b * chunks + c) * rows;
            if (out) {
                System.arraycopy(all, from, chunk, b * rows, rows);
            } else {
                FusedMath.axpy(1f, chunk, b * rows, all, from, rows);
            }
        }
    }

    /** out = state + sign × the position embedding, per image. */
    private void addPosition(float[] state, float[] out, int batch, int sign) {
        int size = stateLength * dim;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < size; i++) {
                out[b * size + i] = state[b * size + i] + sign * statePosition[i];
            }
        }
    }
}
