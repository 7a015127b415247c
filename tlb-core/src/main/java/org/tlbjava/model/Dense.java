package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.Initializer;

/** y = x W + b over the last axis. W is stored (out, in) for the engine's fused linear op. */
final class Dense extends Module {
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    /** A Keras Dense layer: Glorot limit from fans (in, out). */
    Dense(int in, int out) {
        this(in, out, KerasInit.glorotUniform(in, out));
    }

    /** A projection whose Keras kernel has another shape (and so other fans), e.g. attention's 3-D kernels. */
    Dense(int in, int out, Initializer kernelInit) {
        this.in = in;
        this.out = out;
        weight = param("weight", Parameter.Type.WEIGHT, new Shape(out, in), kernelInit);
        bias = param("bias", Parameter.Type.BIAS, new Shape(out), Parameter.Type.BIAS.getInitializer());
    }

    /**
     * This projection applied after {@code norm}, as one affine map of the standardized input:
     * W (γ x̂ + β) + b = (W diag γ) x̂ + (W β + b). Returns {weight, bias}.
     */
    NDArray[] foldAfter(Norm norm, Pass pass) {
        NDArray[] wb = weightAndBias(pass);
        return new NDArray[] {wb[0].mul(norm.gamma(pass)), wb[0].matMul(norm.beta(pass)).add(wb[1])};
    }

    /** {weight, bias}, for callers that apply them to something other than one input. */
    NDArray[] weightAndBias(Pass pass) {
        return new NDArray[] {pass.value(weight), pass.value(bias)};
    }

    NDArray forward(Pass pass, NDArray x) {
        return Linear.linear(x, pass.value(weight), pass.value(bias)).singletonOrThrow();
    }

    int in() {
        return in;
    }

    int out() {
        return out;
    }

    Parameter weightParameter() {
        return weight;
    }

    Parameter biasParameter() {
        return bias;
    }

    /** Fused path: y[rows, out] = x[rows, in] Wᵀ + b. */
    void fusedForward(FusedPass p, float[] x, int rows, float[] y) {
        affine(x, rows, in, out, p.transposed(weight, out, in), p.value(bias), y);
    }

    /** Fused path: dW += dyᵀ x, db += Σ dy, and dx = dy W. */
    void fusedBackward(FusedPass p, float[] x, float[] dy, int rows, float[] dx) {
        affineBackward(x, dy, rows, in, out, p.value(weight), p.gradient(weight), p.gradient(bias), dx);
    }

    /** y[rows, out] = x[rows, in] Wᵀ + b, with W given as Wᵀ [in, out]. */
    static void affine(float[] x, int rows, int in, int out, float[] weightT, float[] bias, float[] y) {
        Gemm.gemmPlusRow(rows, out, in, x, 0, in, 1, weightT, 0, out, bias, 0, y, 0, out);
    }

    /**
     * The gradients through {@link #affine}: dW += dyᵀ x, db += Σ dy, and dx = dy W (written, not
     * added), unless {@code dx} is null (an input that takes no gradient; {@code weight} unread).
     */
    static void affineBackward(float[] x, float[] dy, int rows, int in, int out, float[] weight, float[] dWeight,
            float[] dBias, float[] dx) {
        Gemm.gemm(out, in, rows, dy, 0, 1, out, x, 0, in, dWeight, 0, in, true);
        FusedMath.addColumnSums(dy, rows, out, dBias);
        if (dx != null) {
            Gemm.gemm(rows, in, out, dy, 0, out, 1, weight, 0, in, dx, 0, in, false);
        }
    }
}
