package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The reference's {@code FeedForwardNetwork}: x + dropout(W2 gelu(W1 LN(x))), hidden width 4 x dim, exact GELU. */
final class FeedForward extends Module {
    private final Dropout dropout;
    private final float dropoutRate;
    private final Norm norm;
    private final Dense expand;
    private final Dense project;

    FeedForward(int dim, Dropout dropout, float dropoutRate) {
        this.dropout = dropout;
        this.dropoutRate = dropoutRate;
        norm = addChildBlock("layernorm", new Norm(dim));
        expand = addChildBlock("dense_expand", new Dense(dim, 4 * dim));
        project = addChildBlock("dense_project", new Dense(4 * dim, dim));
    }

    NDArray forward(Pass pass, NDArray x) {
        NDArray hidden = Activation.gelu(expand.forward(pass, norm.forward(pass, x)));
        NDArray y = project.forward(pass, hidden);
        return x.add(dropout.apply(y, dropoutRate, pass.training));
    }
}
