package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.Initializer;

/** y = x W + b over the last axis. W is stored (out, in) for the engine's fused linear op. */
final class Dense extends Module {
    private final Parameter weight;
    private final Parameter bias;

    /** A Keras Dense layer: Glorot limit from fans (in, out). */
    Dense(int in, int out) {
        this(in, out, KerasInit.glorotUniform(in, out));
    }

    /** A projection whose Keras kernel has another shape (and so other fans), e.g. attention's 3-D kernels. */
    Dense(int in, int out, Initializer kernelInit) {
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
}
