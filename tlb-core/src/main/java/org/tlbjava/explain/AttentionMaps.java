package org.tlbjava.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.List;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.BilinearResize;

/**
 * The reference's attention visualisation: for each chunk, the TLB block's attention
 * [batch, heads, state queries, chunk tokens] → max over the state queries → mean over heads;
 * the chunks' values concatenated into one value per patch, laid out on the patch grid, and
 * upsampled bilinearly (Keras' UpSampling2D) by the patch size to the image size.
 */
public final class AttentionMaps {
    private AttentionMaps() {}

    /** One heat map per image, each {@code image_size x image_size}, row-major. */
    public static float[][] heatMaps(List<NDArray> tlbAttention, RunConfig config) {
        NDList perChunk = new NDList();
        for (NDArray probs : tlbAttention) {
            perChunk.add(probs.max(new int[] {2}).mean(new int[] {1})); // [batch, chunk tokens]
        }
        NDArray patches = NDArrays.concat(perChunk, 1); // [batch, patches]
        int batch = (int) patches.getShape().get(0);
        int grid = config.model().imageSize() / config.model().patchSize();
        float[] values = patches.toFloatArray();
        float[][] maps = new float[batch][];
        for (int b = 0; b < batch; b++) {
            float[] cells = new float[grid * grid];
            System.arraycopy(values, b * grid * grid, cells, 0, grid * grid);
            maps[b] = upsample(cells, grid, config.model().imageSize());
        }
        return maps;
    }

    /** Bilinear upsampling of a {@code side x side} grid to {@code out x out}, half-pixel centres. */
    public static float[] upsample(float[] grid, int side, int out) {
        BilinearResize axis = new BilinearResize(side, out);
        float[] result = new float[out * out];
        BilinearResize.sample(grid, side, axis, axis, result);
        return result;
    }
}
