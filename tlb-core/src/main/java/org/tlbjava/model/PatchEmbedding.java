package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 *
 * <p>The stem's convolutions run with their channel counts zero-padded to multiples of
 * {@link #CHANNEL_BLOCK} (a no-op when embed_dim/2 and embed_dim already are, as in the presets).
 * libtorch 2.7.1 hands them to oneDNN 3.7.1 (jit:avx512_core, blocked layouts of 16 channels),
 * whose sums over a channel count off the block go wrong in the partial block: with 20 input
 * channels the contributions of channels 16-19 came out wrong (up to 0.8 on outputs of about 4,
 * different for 1 and 2 threads) and, where the padding of a freshly allocated copy held a NaN,
 * every output was NaN. That hits the forward pass (summing over input channels) and the input
 * gradient (summing over output channels). With explicit zero channels nothing is padded, a 3x3
 * convolution over 20 channels matched a plain loop to 1e-6, and the NaNs are gone
 * (TlbModelTest#convStemReadsNoUninitialisedMemory).
 */
final class PatchEmbedding extends Module {
    /** oneDNN's channel block for float32 convolutions on AVX-512 (16) and AVX2 (8). */
    static final int CHANNEL_BLOCK = 16;

    private final int patch;
    private final int imageSize;
    private final int dim;
    private final int chunks;
    private final int chunkSize;
    private final Parameter[] stem;
    /** The stem's width and embed_dim, rounded up to {@link #CHANNEL_BLOCK} (with a stem only). */
    private final int paddedWidth;
    private final int paddedDim;
    private final Parameter kernel;
    private final Parameter bias;
    private final Parameter positionEmbedding;
    private final Norm norm;

    PatchEmbedding(ModelConfig c) {
        patch = c.patchSize();
        imageSize = c.imageSize();
        dim = c.embedDim();
        chunks = c.numChunks();
        chunkSize = c.chunkSize();
        int channels = 3;
        if (c.convStem()) {
            int width = Math.max(1, dim / 2);
            stem = new Parameter[] {convKernel("stem_conv1_kernel", 3, channels, width), convBias("stem_conv1_bias", width),
                convKernel("stem_conv2_kernel", 3, width, width), convBias("stem_conv2_bias", width)};
            channels = width;
            paddedWidth = padded(width);
            paddedDim = padded(dim);
        } else {
            stem = new Parameter[0];
            paddedWidth = channels;
            paddedDim = dim;
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

    static int padded(int channels) {
        return (channels + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK * CHANNEL_BLOCK;
    }

    NDArray forward(Pass pass, NDArray images) {
        long batch = images.getShape().get(0);
        NDArray x = images;
        // The images' 3 channels stay as they are: oneDNN reads them unblocked, and no gradient
        // is taken with respect to them. Every later channel count is padded (see the class note).
        for (int i = 0; i < stem.length; i += 2) {
            x = Activation.relu(Conv2d.conv2d(x, zeroPadded(pass.value(stem[i]), paddedWidth, x.getShape().get(1)),
                    zeroPadded(pass.value(stem[i + 1]), paddedWidth), new Shape(1, 1), new Shape(1, 1)).singletonOrThrow());
        }
        x = Conv2d.conv2d(x, zeroPadded(pass.value(kernel), paddedDim, x.getShape().get(1)),
                zeroPadded(pass.value(bias), paddedDim), new Shape(patch, patch)).singletonOrThrow();
        if (paddedDim != dim) {
            x = x.get(new NDIndex(":, :{}", dim));
        }
        x = x.reshape(batch, dim, -1).transpose(0, 2, 1); // [batch, patches, dim], row-major patch order
        x = x.add(pass.value(positionEmbedding));
        return norm.forward(pass, x).reshape(batch, chunks, chunkSize, dim);
    }

    /**
     * The fused path's tokens for {@code images}: the patch stem computed here in Java, the conv
     * stem's convolutions by the engine (oneDNN's, as fast as this code's matmuls would be on
     * their shapes), its tokens then copied out.
     */
    FusedTokens fusedForward(FusedPass p, Pass pass, NDArray images) {
        int batch = Math.toIntExact(images.getShape().get(0));
        if (stem.length > 0) {
            NDArray tokens = forward(pass, images);
            return new FusedTokens(tokens.toFloatArray(), batch, null, null, tokens);
        }
        int grid = imageSize / patch;
        int patches = grid * grid;
        int k = 3 * patch * patch;
        int rows = batch * patches;
        float[] pixels = images.toFloatArray();
        // Each patch as a row of the convolution's inputs in the kernel's (channel, y, x) order:
        // the strided convolution is then one matmul.
        float[] rowsIn = p.take(rows * k);
        for (int b = 0; b < batch; b++) {
            for (int gy = 0; gy < grid; gy++) {
                for (int gx = 0; gx < grid; gx++) {
                    int row = (b * patches + gy * grid + gx) * k;
                    for (int ch = 0; ch < 3; ch++) {
                        for (int ky = 0; ky < patch; ky++) {
                            System.arraycopy(pixels, ((b * 3 + ch) * imageSize + gy * patch + ky) * imageSize + gx * patch,
                                    rowsIn, row + (ch * patch + ky) * patch, patch);
                        }
                    }
                }
            }
        }
        float[] x = p.take(rows * dim);
        Dense.affine(rowsIn, rows, k, dim, p.transposed(kernel, dim, k), p.value(bias), x);
        float[] position = p.value(positionEmbedding);
        for (int b = 0; b < batch; b++) {
            FusedMath.axpy(1f, position, 0, x, b * patches * dim, patches * dim);
        }
        FusedMath.Standardized s = p.standardize(x, rows, dim);
        float[] tokens = p.take(rows * dim);
        norm.fusedForward(p, s, tokens);
        return new FusedTokens(tokens, batch, rowsIn, s, null);
    }

    /**
     * Tokens [batch, chunks, chunk_size, dim] as the fused cell reads them, and what the backward
     * pass needs: the patch stem's input rows and standardized tokens, or the engine's tokens.
     */
    record FusedTokens(float[] tokens, int batch, float[] rowsIn, FusedMath.Standardized standardized, NDArray engineTokens) {}

    /** The fused path's backward pass from the tokens' gradient into the stem's weights (the images take none). */
    void fusedBackward(FusedPass p, FusedTokens t, float[] dTokens, NDManager manager) {
        if (t.engineTokens() != null) {
            FusedPass.backward(t.engineTokens(), dTokens, manager);
            return;
        }
        int rows = t.standardized().rows();
        int n = rows * dim;
        float[] dxhat = p.take(n);
        norm.fusedBackward(p, t.standardized(), dTokens, dxhat);
        float[] dx = p.zeros(n);
        FusedMath.standardizeBackward(t.standardized(), dxhat, dx);
        FusedMath.addColumnSums(dx, t.batch(), n / t.batch(), p.gradient(positionEmbedding));
        int k = 3 * patch * patch;
        Dense.affineBackward(t.rowsIn(), dx, rows, k, dim, null, p.gradient(kernel), p.gradient(bias), null);
    }

    /** A kernel [out, in, k, k] with zero output and input channels appended up to {@code out} and {@code in}. */
    private static NDArray zeroPadded(NDArray kernel, long out, long in) {
        Shape s = kernel.getShape();
        NDArray k = kernel;
        if (in > s.get(1)) {
            k = k.concat(kernel.getManager().zeros(new Shape(s.get(0), in - s.get(1), s.get(2), s.get(3))), 1);
        }
        if (out > s.get(0)) {
            k = k.concat(kernel.getManager().zeros(new Shape(out - s.get(0), in, s.get(2), s.get(3))), 0);
        }
        return k;
    }

    /** A bias [out] with zeros appended up to {@code out}. */
    private static NDArray zeroPadded(NDArray bias, long out) {
        long n = bias.getShape().get(0);
        return out > n ? bias.concat(bias.getManager().zeros(new Shape(out - n)), 0) : bias;
    }
}
