package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import org.tlbjava.config.ModelConfig;

/**
 * The reference's {@code PatchEmbedding}: a patch_size-strided convolution to embed_dim, flatten
 * to tokens, add a learned position embedding, LayerNorm, and split into chunks. With
 * {@code stem=conv}, two 3x3 convolutions (ReLU, embed_dim/2 channels) run first, as in compact
 * convolutional transformers: local features before patching, which small datasets reward.
 * Input [batch, 3, H, W]; output [batch, chunks, chunk_size, embed_dim].
 */
final class PatchEmbedding extends Module {
    private final int patch;
    private final int dim;
    private final int chunks;
    private final int chunkSize;
    private final Parameter[] stem;
    private final Parameter kernel;
    private final Parameter bias;
    private final Parameter positionEmbedding;
    private final Norm norm;

    PatchEmbedding(ModelConfig c) {
        patch = c.patchSize();
        dim = c.embedDim();
        chunks = c.numChunks();
        chunkSize = c.chunkSize();
        int channels = 3;
        if (c.convStem()) {
            int width = Math.max(1, dim / 2);
            stem = new Parameter[] {convKernel("stem_conv1_kernel", 3, channels, width), convBias("stem_conv1_bias", width),
                convKernel("stem_conv2_kernel", 3, width, width), convBias("stem_conv2_bias", width)};
            channels = width;
        } else {
            stem = new Parameter[0];
        }
        kernel = convKernel("projection_kernel", patch, channels, dim);
        bias = convBias("projection_bias", dim);
        positionEmbedding = param("position_embedding", Parameter.Type.WEIGHT, new Shape(c.numPatches(), dim),
                KerasInit.uniform(0.05f));
        norm = addChildBlock("layernorm", new Norm(dim));
    }

    private Parameter convKernel(String name, int size, int in, int out) {
        return param(name, Parameter.Type.WEIGHT, new Shape(out, in, size, size), KerasInit.glorotUniform(size, size, in, out));
    }

    private Parameter convBias(String name, int out) {
        return param(name, Parameter.Type.BIAS, new Shape(out), Parameter.Type.BIAS.getInitializer());
    }

    NDArray forward(Pass pass, NDArray images) {
        long batch = images.getShape().get(0);
        NDArray x = images;
        for (int i = 0; i < stem.length; i += 2) {
            x = Activation.relu(Conv2d.conv2d(x, pass.value(stem[i]), pass.value(stem[i + 1]), new Shape(1, 1),
                    new Shape(1, 1)).singletonOrThrow());
        }
        x = Conv2d.conv2d(x, pass.value(kernel), pass.value(bias), new Shape(patch, patch)).singletonOrThrow();
        x = x.reshape(batch, dim, -1).transpose(0, 2, 1); // [batch, patches, dim], row-major patch order
        x = x.add(pass.value(positionEmbedding));
        return norm.forward(pass, x).reshape(batch, chunks, chunkSize, dim);
    }
}
