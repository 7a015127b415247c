package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.initializer.Initializer;

/** LayerNorm over the last axis, epsilon 1e-5 as every LayerNorm in the reference; gamma=1, beta=0. */
final class Norm extends Module {
    static final float EPSILON = 1e-5f;
    private final int dim;
    private final Shape normalized;
    private final Parameter gamma;
    private final Parameter beta;

    Norm(int dim) {
        this.dim = dim;
        normalized = new Shape(dim);
        gamma = param("gamma", Parameter.Type.GAMMA, normalized, Initializer.ONES);
        beta = param("beta", Parameter.Type.BETA, normalized, Initializer.ZEROS);
    }

    NDArray gamma(Pass pass) {
        return pass.value(gamma);
    }

    NDArray beta(Pass pass) {
        return pass.value(beta);
    }

    NDArray forward(Pass pass, NDArray x) {
        return LayerNorm.layerNorm(x, normalized, pass.value(gamma), pass.value(beta), EPSILON).singletonOrThrow();
    }

    /** Fused path: y = γ x̂ + β for each standardized row. */
    void fusedForward(FusedPass p, FusedMath.Standardized s, float[] y) {
        float[] g = p.value(gamma);
        float[] b = p.value(beta);
        float[] xhat = s.xhat();
        for (int r = 0; r < s.rows(); r++) {
            int o = r * dim;
            for (int i = 0; i < dim; i++) {
                y[o + i] = g[i] * xhat[o + i] + b[i];
            }
        }
    }

    /** Fused path: dγ += Σ dy x̂, dβ += Σ dy, and dx̂ = γ dy (written). */
    void fusedBackward(FusedPass p, FusedMath.Standardized s, float[] dy, float[] dxhat) {
        float[] g = p.value(gamma);
        float[] dg = p.gradient(gamma);
        float[] xhat = s.xhat();
        for (int r = 0; r < s.rows(); r++) {
            int o = r * dim;
            for (int i = 0; i < dim; i++) {
                dg[i] += dy[o + i] * xhat[o + i];
                dxhat[o + i] = g[i] * dy[o + i];
            }
        }
        FusedMath.addColumnSums(dy, s.rows(), dim, p.gradient(beta));
    }

    Parameter gammaParameter() {
        return gamma;
    }

    Parameter betaParameter() {
        return beta;
    }
}
