package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.List;

/** The reference's {@code FeedForwardNetwork}: x + dropout(W2 gelu(W1 LN(x))), hidden width 4 x dim, exact GELU. */
final class FeedForward extends Module {
    private final int dim;
    private final Dropout dropout;
    private final float dropoutRate;
    private final Norm norm;
    private final Dense expand;
    private final Dense project;

    FeedForward(int dim, Dropout dropout, float dropoutRate) {
        this.dim = dim;
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

    /**
     * What the fused backward reads of a fused forward call: the standardized input, the hidden
     * layer after GELU and GELU's slope there (computed in the forward pass's one pass over the
     * hidden layer, so the backward pass does no GELU arithmetic), the dropout mask (or null).
     */
    record FusedTape(FusedMath.Standardized input, float[] activated, float[] slope, float[] mask) {}

    /** Fused path of {@link #forward} on [rows, dim]. */
    FusedTape fusedForward(FusedPass p, float[] x, int rows, float[] out) {
        int n = rows * dim;
        int wide = rows * 4 * dim;
        FusedMath.Standardized s = p.standardize(x, rows, dim);
        float[] activated = p.take(wide);
        expandFold(p).forward(s.xhat(), rows, activated);
        float[] slope = p.training ? p.take(wide) : null;
        if (slope != null) {
            FusedMath.geluWithSlope(activated, activated, slope, wide);
        } else {
            FusedMath.gelu(activated, activated, wide);
        }
        project.fusedForward(p, activated, rows, out);
        float[] mask = p.training && dropoutRate > 0 ? dropout.mask(p.take(n), n, dropoutRate) : null;
        for (int i = 0; i < n; i++) {
            out[i] = x[i] + (mask == null ? out[i] : out[i] * mask[i]);
        }
        return new FusedTape(s, activated, slope, mask);
    }

    /** The LayerNorm's affine map folded into the expanding layer, once per pass. */
    private FoldedProjection expandFold(FusedPass p) {
        return p.folded(List.of(expand), List.of(norm));
    }

    /** Fused path of the backward pass: the weights' gradients, and the input's added to {@code dx}. */
    void fusedBackward(FusedPass p, FusedTape t, float[] dOut, float[] dx) {
        int rows = t.input().rows();
        int n = rows * dim;
        int wide = rows * 4 * dim;
        float[] dy = dOut;
        if (t.mask() != null) {
            dy = p.take(n);
            for (int i = 0; i < n; i++) {
                dy[i] = dOut[i] * t.mask()[i];
            }
        }
        float[] dHidden = p.take(wide);
        project.fusedBackward(p, t.activated(), dy, rows, dHidden);
        FusedMath.multiplyInto(t.slope(), dHidden, wide);
        float[] dxhat = p.take(n);
        expandFold(p).backward(t.input().xhat(), dHidden, rows, dxhat);
        FusedMath.standardizeBackward(t.input(), dxhat, dx);
        FusedMath.addInto(dOut, dx, n);
    }
}
