package org.tlbjava.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
    private final int dim;
    private Stream.Standardizer standardizer;

    /** One step's result: the new fast stream (the cell's output), the new slow state, the TLB attention. */
    record Step(NDArray fast, NDArray slow, NDArray tlbProbs) {}

    RecurrentCell(TlbConfig c, Dropout dropout) {
        r = c.r;
        dim = c.embedDim;
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

    /** Blocks in the perceptual module. */
    int perceptualBlocks() {
        return perceptualModule.size();
    }

    /** Perceptual blocks that are also called on the slow stream (list positions divisible by r). */
    int slowCalls() {
        return (perceptualModule.size() + r - 1) / r;
    }

    /** Every block's folded weights for one forward pass: the perceptual module's in order, then the TLB block's. */
    List<AttentionWithFfn.Folded> fold(ParameterStore ps, Device device, boolean training) {
        List<AttentionWithFfn.Folded> folded = new ArrayList<>();
        for (AttentionWithFfn layer : perceptualModule) {
            folded.add(layer.fold(ps, device, training));
        }
        folded.add(tlbModule.fold(ps, device, training));
        return folded;
    }

    Step call(ParameterStore ps, List<AttentionWithFfn.Folded> w, NDArray inputs, NDArray slowStream,
            boolean training) {
        Stream slow = standardizer.of(slowStream);
        Stream fast = standardizer.of(inputs);
        for (int layerIdx = 0; layerIdx < perceptualModule.size(); layerIdx++) {
            AttentionWithFfn layer = perceptualModule.get(layerIdx);
            fast = standardizer.of(layer.fast(ps, w.get(layerIdx), fast, fast, training).out());
            if (layerIdx % r == 0) {
                fast = standardizer.of(layer.slow(ps, w.get(layerIdx), fast, slow, training).out());
            }
        }
        AttentionWithFfn.Result tlb = tlbModule.fast(ps, w.get(perceptualModule.size()), slow, fast, training);
        return new Step(fast.x(), tlb.out(), tlb.probs());
    }

    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        super.initialize(manager, dataType, inputShapes);
        standardizer = new Stream.Standardizer(manager, dim);
    }
}
