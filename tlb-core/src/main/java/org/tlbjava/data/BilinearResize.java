package org.tlbjava.data;

/**
 * One axis of Keras' {@code Resizing(interpolation="bilinear")}: half-pixel centres, no
 * antialiasing, edges clamped (TensorFlow's {@code resize_bilinear} with
 * {@code half_pixel_centers=True}). Output index {@code o} samples input coordinate
 * {@code (o + 0.5) * in / out - 0.5} between the pixels {@code low[o]} and {@code high[o]}.
 */
public final class BilinearResize {
    final int[] low;
    final int[] high;
    final float[] weight; // share of high[o]

    public BilinearResize(int inSize, int outSize) {
        low = new int[outSize];
        high = new int[outSize];
        weight = new float[outSize];
        float scale = (float) inSize / outSize;
        for (int o = 0; o < outSize; o++) {
            float in = (o + 0.5f) * scale - 0.5f;
            float floor = (float) Math.floor(in);
            low[o] = Math.max((int) floor, 0);
            high[o] = Math.min((int) Math.ceil(in), inSize - 1);
            weight[o] = in - floor;
        }
    }

    public int size() {
        return low.length;
    }

    /** Resizes one {@code rows.in x width} plane to {@code rows.size() x cols.size()}. */
    public static void sample(float[] src, int srcWidth, BilinearResize rows, BilinearResize cols, float[] out) {
        samplePlane(src, 0, srcWidth, rows, cols, 0, 0, rows.size(), cols.size(), false, out, 0);
    }

    /**
     * Samples one plane: {@code out[y*outW + x] = bilinear(src, rows[rowStart + y], cols[colAt(x)])}
     * for a {@code outH x outW} window of the resized plane starting at ({@code rowStart},
     * {@code colStart}), mirrored horizontally when {@code flip}.
     */
    static void samplePlane(float[] src, int srcOffset, int srcWidth, BilinearResize rows,
            BilinearResize cols, int rowStart, int colStart, int outH, int outW, boolean flip,
            float[] out, int outOffset) {
        for (int y = 0; y < outH; y++) {
            int ry = rowStart + y;
            int top = srcOffset + rows.low[ry] * srcWidth;
            int bottom = srcOffset + rows.high[ry] * srcWidth;
            float wy = rows.weight[ry];
            int outRow = outOffset + y * outW;
            for (int x = 0; x < outW; x++) {
                int rx = colStart + (flip ? outW - 1 - x : x);
                int l = cols.low[rx];
                int h = cols.high[rx];
                float wx = cols.weight[rx];
                float upper = src[top + l] + (src[top + h] - src[top + l]) * wx;
                float lower = src[bottom + l] + (src[bottom + h] - src[bottom + l]) * wx;
                out[outRow + x] = upper + (lower - upper) * wy;
            }
        }
    }
}
