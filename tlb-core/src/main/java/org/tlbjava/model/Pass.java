package org.tlbjava.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What one forward pass shares: the parameter store, the training flag, and two caches that only
 * {@link Attention} looks into. Every attention LayerNorms its inputs with γ and β of its own;
 * those are folded into its projections once per pass ({@link Attention#fold}), so one
 * standardized form x̂ = (x - mean) / sqrt(var + ε) of each stream serves every attention that
 * reads it within a chunk: the slow stream alone feeds four attentions per chunk in the keras
 * cell. Blocks then read like the reference: {@code layer.forward(pass, query, keyValue)}.
 */
final class Pass {
    final ParameterStore ps;
    final boolean training;
    final Device device;
    private final NDArray unitScale;
    private final NDArray zeroShift;
    private final Map<Attention, Attention.Projections> projections = new IdentityHashMap<>();
    private final Map<NDArray, NDArray> standardized = new IdentityHashMap<>();

    /** A pass over {@code model}'s blocks; every attention's projections are folded here, outside any chunk's scope. */
    Pass(Block model, ParameterStore ps, boolean training, NDManager manager, int dim) {
        this.ps = ps;
        this.training = training;
        this.device = manager.getDevice();
        this.unitScale = manager.ones(new Shape(dim));
        this.zeroShift = manager.zeros(new Shape(dim));
        foldAttentions(model);
    }

    private void foldAttentions(Block block) {
        if (block instanceof Attention attention) {
            projections.put(attention, attention.fold(this));
        }
        for (Pair<String, Block> child : block.getChildren()) {
            foldAttentions(child.getValue());
        }
    }

    NDArray value(Parameter parameter) {
        return ps.getValue(parameter, device, training);
    }

    Attention.Projections projections(Attention attention) {
        return projections.get(attention);
    }

    /** Replaces an attention's folded weights (for timing its parts alone, PartTimes). */
    void useProjections(Attention attention, Attention.Projections folded) {
        projections.put(attention, folded);
    }

    /** Takes {@code standardized} as x̂ of {@code x} for this chunk (for timing parts alone, PartTimes). */
    void useStandardized(NDArray x, NDArray standardized) {
        this.standardized.put(x, standardized);
    }

    /** x̂ of a stream, computed once per chunk however many attentions read it. */
    NDArray standardized(NDArray x) {
        return standardized.computeIfAbsent(x, s -> LayerNorm.layerNorm(s, unitScale.getShape(), unitScale, zeroShift,
                Norm.EPSILON).singletonOrThrow());
    }

    /** Forgets the chunk's standardized streams (their arrays close with the chunk's scope). */
    void endChunk() {
        standardized.clear();
    }
}
