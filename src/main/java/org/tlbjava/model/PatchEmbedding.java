package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import org.tlbjava.config.TlbConfig;

/**
 * The reference's {@code PatchEmbedding}: a patch_size-strided convolution to embed_dim, flatten
 * to tokens, add a learned position embedding, LayerNorm, and split into chunks.
 * Input [batch, 3, H, W]; output [batch, chunks, chunk_size, embed_dim].
 */
final class PatchEmbedding extends Module {
    private final int patch;
    private final int dim;
    private final int chunks;
    private final int chunkSize;
    private final Parameter kernel;
    private final Parameter bias;
    private final Parameter positionEmbedding;
    private final Norm norm;

    PatchEmbedding(TlbConfig c) {
        patch = c.patchSize;
        dim = c.embedDim;
        chunks = c.numChunks();
        chunkSize = c.chunkSize;
        kernel = param("projection_kernel", Parameter.Type.WEIGHT, new Shape(dim, 3, patch, patch),
                KerasInit.glorotUniform(patch, patch, 3, dim));
        bias = param("projection_bias", Parameter.Type.BIAS, new Shape(dim), Parameter.Type.BIAS.getInitializer());
        positionEmbedding = param("position_embedding", Parameter.Type.WEIGHT, new Shape(c.numPatches(), dim),
                KerasInit.uniform(0.05f));
        norm = addChildBlock("layernorm", new Norm(dim));
    }

    NDArray forward(ParameterStore ps, NDArray images, boolean training) {
        long batch = images.getShape().get(0);
        NDArray x = Conv2d.conv2d(images, ps.getValue(kernel, images.getDevice(), training),
                ps.getValue(bias, images.getDevice(), training), new Shape(patch, patch)).singletonOrThrow();
        x = x.reshape(batch, dim, -1).transpose(0, 2, 1); // [batch, patches, dim], row-major patch order
        x = x.add(ps.getValue(positionEmbedding, images.getDevice(), training));
        return norm.forward(ps, x, training).reshape(batch, chunks, chunkSize, dim);
    }
}
