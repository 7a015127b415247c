package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import org.tlbjava.config.ModelConfig;

/**
 * The TLB paper's recurrent step (variant {@code paper}, after Didolkar et al. 2022 and the LRA
 * {@code transformer_tlb} code). Per chunk the fast stream runs its self-attention blocks and,
 * at every layer i with i % r == 0, a cross-attention block in which the chunk reads the state;
 * then the state queries the chunk through its own block: the bottleneck. Every block has its own
 * weights. The state is {@code state_tokens} vectors, zeros (or learned vectors) at the start, and
 * a fixed sinusoidal position embedding is added to it at every step (and taken off the updated
 * state, so it does not accumulate), so the state vectors ask different questions from the
 * first chunk on.
 */
final class PaperCell extends Module implements Cell {
    private final int r;
    private final int stateTokens;
    private final int dim;
    private final List<AttentionBlock> selfAttention = new ArrayList<>();
    private final List<AttentionBlock> readState = new ArrayList<>();
    private final AttentionBlock bottleneck;
    private final Parameter initialState;
    private NDArray statePosition;
    private final FusedRecurrence fused;

    PaperCell(ModelConfig c, Dropout dropout) {
        r = c.r();
        stateTokens = c.stateTokens();
        dim = c.embedDim();
        for (int layer = 0; layer < c.numLayers(); layer++) {
            selfAttention.add(addChildBlock("self_attn_" + layer, new AttentionBlock(c, dropout)));
            if (layer % r == 0) {
                readState.add(addChildBlock("read_state_" + layer, new AttentionBlock(c, dropout)));
            }
        }
        bottleneck = addChildBlock("bottleneck", new AttentionBlock(c, dropout));
        initialState = c.learnedState() ? param("initial_state", Parameter.Type.WEIGHT, new Shape(stateTokens, dim),
                KerasInit.uniform(0.05f)) : null;
        List<FusedRecurrence.Layer> layers = new ArrayList<>();
        for (int layer = 0; layer < selfAttention.size(); layer++) {
            layers.add(selfAttention.get(layer).fusedLayer(false));
            if (layer % r == 0) {
                layers.add(readState.get(layer / r).fusedLayer(true));
            }
        }
        fused = new FusedRecurrence(layers, bottleneck.fusedLayer(false), sinusoid(stateTokens, dim), c.numChunks(),
                c.chunkSize(), stateTokens, dim);
    }

    @Override
    public int selfAttentionCalls() {
        return selfAttention.size();
    }

    @Override
    public int crossAttentionCalls() {
        return readState.size() + 1;
    }

    @Override
    public NDArray initialState(Pass pass, NDArray chunks) {
        NDArray zeros = chunks.getManager().zeros(new Shape(chunks.getShape().get(0), stateTokens, dim));
        return initialState == null ? zeros : zeros.add(pass.value(initialState));
    }

    @Override
    public Step call(Pass pass, NDArray chunk, NDArray state) {
        NDArray memory = state.add(statePosition);
        NDArray fast = chunk;
        for (int layer = 0; layer < selfAttention.size(); layer++) {
            fast = selfAttention.get(layer).forward(pass, fast, fast).out();
            if (layer % r == 0) {
                fast = readState.get(layer / r).forward(pass, fast, memory).out();
            }
        }
        Attention.Result update = bottleneck.forward(pass, memory, fast);
        // The embedding tells the state vectors apart within a step; carried on through the
        // residual it would pile up once per chunk (18 times its size by the last chunk).
        return new Step(fast, update.out().sub(statePosition), update.probs());
    }

    /** The fixed embedding: sin on even features, cos on odd ones, wavelengths up to 10000·2π. */
    static float[] sinusoid(int positions, int dim) {
        float[] table = new float[positions * dim];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < dim; i++) {
                double angle = p / Math.pow(10000, (i - i % 2) / (double) dim);
                table[p * dim + i] = (float) (i % 2 == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        return table;
    }

    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        super.initialize(manager, dataType, inputShapes);
        statePosition = manager.create(sinusoid(stateTokens, dim), new Shape(stateTokens, dim));
    }

    @Override
    public FusedRecurrence fused() {
        return fused;
    }

    @Override
    public float[] fusedInitialState(FusedPass p, int batch) {
        int size = stateTokens * dim;
        float[] state = p.zeros(batch * size);
        if (initialState != null) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(p.value(initialState), 0, state, b * size, size);
            }
        }
        return state;
    }

    @Override
    public void fusedInitialStateBackward(FusedPass p, float[] dState, int batch) {
        if (initialState != null) {
            int size = stateTokens * dim;
            for (int b = 0; b < batch; b++) {
                FusedMath.axpy(1f, dState, b * size, p.gradient(initialState), 0, size);
            }
        }
    }
}
