package org.tlbjava.data;

import java.util.SplittableRandom;
import org.tlbjava.config.TlbConfig;

/**
 * The reference's two pipelines on a byte image, writing float CHW:
 * train = Rescaling(1/255), Resizing(input+20), RandomCrop(image_size), RandomFlip("horizontal");
 * eval = Rescaling(1/255), Resizing(image_size).
 */
public final class Augmentation {
    private static final float RESCALE = (float) (1 / 255.0);

    private final int inH;
    private final int inW;
    private final int crop;
    private final BilinearResize trainRows;
    private final BilinearResize trainCols;
    private final BilinearResize evalRows;
    private final BilinearResize evalCols;

    public Augmentation(TlbConfig config, int inH, int inW) {
        this.inH = inH;
        this.inW = inW;
        this.crop = config.imageSize;
        int resized = inH + config.resizeMargin;
        int resizedW = inW + config.resizeMargin;
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
        int rowStart = random.nextInt(trainRows.size() - crop + 1);
        int colStart = random.nextInt(trainCols.size() - crop + 1);
        boolean flip = random.nextBoolean();
        apply(pixels, offset, scratch, trainRows, trainCols, rowStart, colStart, flip, out, outOffset);
    }

    public void eval(byte[] pixels, int offset, float[] scratch, float[] out, int outOffset) {
        apply(pixels, offset, scratch, evalRows, evalCols, 0, 0, false, out, outOffset);
    }

    /** Scratch space for {@link #train}/{@link #eval}: one rescaled input image. */
    public float[] newScratch() {
        return new float[3 * inH * inW];
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
