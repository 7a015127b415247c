package org.tlbjava.data;

import java.util.SplittableRandom;
import org.tlbjava.config.RunConfig;

/**
 * The reference's two pipelines on a byte image, writing float CHW:
 * train = Rescaling(1/255), Resizing(input+20), RandomCrop(image_size), RandomFlip("horizontal");
 * eval = Rescaling(1/255), Resizing(image_size).
 * With {@code augmentation = pad_crop} training is instead: zero-pad by {@code pad} pixels, random
 * crop back to the input size, random horizontal flip; eval is the rescaled image itself.
 */
public final class Augmentation {
    private static final float RESCALE = (float) (1 / 255.0);

    private final int inH;
    private final int inW;
    private final int crop;
    /** Zero padding of pad_crop; -1 for the reference's resize_crop. */
    private final int pad;
    private final BilinearResize trainRows;
    private final BilinearResize trainCols;
    private final BilinearResize evalRows;
    private final BilinearResize evalCols;

    public Augmentation(RunConfig config, int inH, int inW) {
        this.inH = inH;
        this.inW = inW;
        this.crop = config.model().imageSize();
        this.pad = config.data().padCrop() ? config.data().pad() : -1;
        int resized = inH + config.data().resizeMargin();
        int resizedW = inW + config.data().resizeMargin();
        trainRows = new BilinearResize(inH, resized);
        trainCols = new BilinearResize(inW, resizedW);
        evalRows = new BilinearResize(inH, crop);
        evalCols = new BilinearResize(inW, crop);
    }

    /** Floats per output image: 3 x image_size x image_size. */
    public int outputSize() {
        return 3 * crop * crop;
    }

    /** A random crop offset in [0, resized - crop] per axis and a coin for the flip, as Keras draws them. */
    public void train(byte[] pixels, int offset, float[] scratch, SplittableRandom random, float[] out, int outOffset) {
        if (pad >= 0) {
            int rowShift = random.nextInt(2 * pad + 1) - pad;
            int colShift = random.nextInt(2 * pad + 1) - pad;
            shifted(pixels, offset, rowShift, colShift, random.nextBoolean(), out, outOffset);
            return;
        }
        int rowStart = random.nextInt(trainRows.size() - crop + 1);
        int colStart = random.nextInt(trainCols.size() - crop + 1);
        boolean flip = random.nextBoolean();
        apply(pixels, offset, scratch, trainRows, trainCols, rowStart, colStart, flip, out, outOffset);
    }

    public void eval(byte[] pixels, int offset, float[] scratch, float[] out, int outOffset) {
        if (pad >= 0) {
            shifted(pixels, offset, 0, 0, false, out, outOffset);
            return;
        }
        apply(pixels, offset, scratch, evalRows, evalCols, 0, 0, false, out, outOffset);
    }

    /** Scratch space for {@link #train}/{@link #eval}: one rescaled input image. */
    public float[] newScratch() {
        return new float[3 * inH * inW];
    }

    /**
     * The rescaled image moved by (rowShift, colShift), zeros where it moves in from outside (the
     * crop at offset pad + shift of the padded image), mirrored after the crop when {@code flip}.
     */
    private void shifted(byte[] pixels, int offset, int rowShift, int colShift, boolean flip, float[] out,
            int outOffset) {
        for (int c = 0; c < 3; c++) {
            int plane = offset + c * inH * inW;
            int outPlane = outOffset + c * inH * inW;
            for (int y = 0; y < inH; y++) {
                int sy = y + rowShift;
                for (int x = 0; x < inW; x++) {
                    int sx = (flip ? inW - 1 - x : x) + colShift;
                    out[outPlane + y * inW + x] = sy < 0 || sy >= inH || sx < 0 || sx >= inW ? 0f
                            : (pixels[plane + sy * inW + sx] & 0xff) * RESCALE;
                }
            }
        }
    }

    private void apply(byte[] pixels, int offset, float[] scratch, BilinearResize rows, BilinearResize cols,
            int rowStart, int colStart, boolean flip, float[] out, int outOffset) {
        int n = 3 * inH * inW;
        for (int i = 0; i < n; i++) {
            scratch[i] = (pixels[offset + i] & 0xff) * RESCALE;
        }
        int plane = inH * inW;
        int outPlane = crop * crop;
        for (int c = 0; c < 3; c++) {
            BilinearResize.samplePlane(scratch, c * plane, inW, rows, cols, rowStart, colStart, crop, crop,
                    flip, out, outOffset + c * outPlane);
        }
    }
}
