package org.tlbjava.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;

/**
 * Base of this model's blocks. Every parameter is declared with its full shape, so nothing is
 * inferred from inputs, children initialise with their parents, and each block's real forward
 * is a plain, typed Java method; {@link #forwardInternal} exists only for DJL's generic API.
 */
abstract class Module extends AbstractBlock {
    /** Declares a parameter of a known shape. */
    protected final Parameter param(String name, Parameter.Type type, Shape shape, Initializer init) {
        return addParameter(Parameter.builder().setName(name).setType(type).optShape(shape)
                .optInitializer(init).build());
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Pair<String, Block> child : getChildren()) {
            child.getValue().initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has typed forward methods");
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has typed forward methods");
    }

    /** Trainable parameters of this block and its children. */
    public long parameterCount() {
        long total = 0;
        for (Pair<String, Parameter> p : getParameters()) {
            total += p.getValue().getShape().size();
        }
        return total;
    }
}
