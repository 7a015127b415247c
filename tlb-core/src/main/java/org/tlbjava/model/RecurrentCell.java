package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.tlbjava.config.ModelConfig;

/**
 * The reference's {@code CustomRecurrentCell} (variant {@code keras}): the perceptual module (fast
 * stream) is a list of blocks, for each layer i a self-attention block and, when i % r == 0, a
 * cross-attention block; a block at a list position divisible by r is also called on the slow
 * stream. The TLB block updates the slow state, which starts at zeros. (The example's quirk:
 * with a zero start every state query is the same, so the state vectors stay equal.)
 */
final class RecurrentCell extends Module implements Cell {
    private final int r;
    private final int stateLength;
    private final int dim;
    private final List<AttentionWithFfn> perceptualModule = new ArrayList<>();
    private final AttentionWithFfn tlbModule;
    private final FusedRecurrence fused;

    RecurrentCell(ModelConfig c, Dropout dropout) {
        r = c.r();
        stateLength = c.chunkSize();
        dim = c.embedDim();
        int position = 0;
        for (int layer = 0; layer < c.numLayers(); layer++) {
            perceptualModule.add(block(c, dropout, "pm_self_attn_" + layer, position++));
            if (layer % r == 0) {
                perceptualModule.add(block(c, dropout, "pm_cross_attn_ffn_" + layer, position++));
            }
        }
        tlbModule = addChildBlock("tlb_cross_attn_ffn", new AttentionWithFfn(c, dropout, false));
        List<FusedRecurrence.Layer> layers = new ArrayList<>();
        for (int i = 0; i < perceptualModule.size(); i++) {
            layers.add(perceptualModule.get(i).fusedLayer(false));
            if (i % r == 0) {
                layers.add(perceptualModule.get(i).fusedLayer(true));
            }
        }
        fused = new FusedRecurrence(layers, tlbModule.fusedLayer(false), null, c.numChunks(), c.chunkSize(),
                stateLength, dim);
    }

    /** The block at list position {@code position}; it is called on the slow stream when position % r == 0. */
    private AttentionWithFfn block(ModelConfig c, Dropout dropout, String name, int position) {
        return addChildBlock(name, new AttentionWithFfn(c, dropout, position % r == 0));
    }

    /** Every perceptual block attends to the fast stream once. */
    @Override
    public int selfAttentionCalls() {
        return perceptualModule.size();
    }

    /** Perceptual blocks at list positions divisible by r also read the slow stream; then the TLB block. */
    @Override
    public int crossAttentionCalls() {
        return (perceptualModule.size() + r - 1) / r + 1;
    }

    @Override
    public NDArray initialState(Pass pass, NDArray chunks) {
        return chunks.getManager().zeros(new Shape(chunks.getShape().get(0), stateLength, dim));
    }

    @Override
    public Step call(Pass pass, NDArray inputs, NDArray slowStream) {
        NDArray fastStream = inputs;
        for (int layerIdx = 0; layerIdx < perceptualModule.size(); layerIdx++) {
            AttentionWithFfn layer = perceptualModule.get(layerIdx);
            fastStream = layer.fast(pass, fastStream, fastStream).out();
            if (layerIdx % r == 0) {
                fastStream = layer.slow(pass, fastStream, slowStream).out();
            }
        }
        Attention.Result tlb = tlbModule.fast(pass, slowStream, fastStream);
        return new Step(fastStream, tlb.out(), tlb.probs());
    }

    @Override
    public FusedRecurrence fused() {
        return fused;
    }

    @Override
    public float[] fusedInitialState(FusedPass p, int batch) {
        return p.zeros(batch * stateLength * dim);
    }

    @Override
    public void fusedInitialStateBackward(FusedPass p, float[] dState, int batch) {
        // zeros: nothing learns from it
    }
}
