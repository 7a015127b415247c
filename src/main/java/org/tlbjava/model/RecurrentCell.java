package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.tlbjava.config.TlbConfig;

/**
 * The reference's {@code CustomRecurrentCell}: one step of the recurrence over chunks. The
 * perceptual module (fast stream) is a list of blocks — for each layer i a self-attention block
 * and, when i % r == 0, a cross-attention block; the TLB block updates the slow state.
 */
final class RecurrentCell extends Module {
    private final int r;
    private final List<AttentionWithFfn> perceptualModule = new ArrayList<>();
    private final AttentionWithFfn tlbModule;

    /** One step's result: the new fast stream (the cell's output), the new slow state, the TLB attention. */
    record Step(NDArray fast, NDArray slow, NDArray tlbProbs) {}

    RecurrentCell(TlbConfig c, Dropout dropout) {
        r = c.r;
        int position = 0;
        for (int layer = 0; layer < c.numLayers; layer++) {
            perceptualModule.add(block(c, dropout, "pm_self_attn_" + layer, position++));
            if (layer % r == 0) {
                perceptualModule.add(block(c, dropout, "pm_cross_attn_ffn_" + layer, position++));
            }
        }
        tlbModule = addChildBlock("tlb_cross_attn_ffn", new AttentionWithFfn(c, dropout, false));
    }

    /** The block at list position {@code position}; it is called on the slow stream when position % r == 0. */
    private AttentionWithFfn block(TlbConfig c, Dropout dropout, String name, int position) {
        return addChildBlock(name, new AttentionWithFfn(c, dropout, position % r == 0));
    }

    Step call(ParameterStore ps, NDArray inputs, NDArray slowStream, boolean training) {
        NDArray fastStream = inputs;
        for (int layerIdx = 0; layerIdx < perceptualModule.size(); layerIdx++) {
            AttentionWithFfn layer = perceptualModule.get(layerIdx);
            fastStream = layer.fast(ps, fastStream, fastStream, fastStream, training).out();
            if (layerIdx % r == 0) {
                fastStream = layer.slow(ps, fastStream, slowStream, slowStream, training).out();
            }
        }
        AttentionWithFfn.Result tlb = tlbModule.fast(ps, slowStream, fastStream, fastStream, training);
        return new Step(fastStream, tlb.out(), tlb.probs());
    }
}
