package org.tlbjava.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tlbjava.config.RunConfig;
import org.tlbjava.config.DataConfig;

class AugmentationTest {
    /** Keras/TF bilinear with half-pixel centres, by hand: 2 -> 4 gives [a, a+(b-a)/4, a+3(b-a)/4, b]. */
    @Test
    void upscalingUsesHalfPixelCentresAndClampsEdges() {
        BilinearResize r = new BilinearResize(2, 4);
        float[] src = {0f, 1f};
        float[] out = new float[4];
        BilinearResize.samplePlane(src, 0, 2, new BilinearResize(1, 1), r, 0, 0, 1, 4, false, out, 0);
        assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 1f}, out, 1e-7f);
    }

    /** 3 -> 2: output 0 samples x=0.25 (between pixels 0 and 1), output 1 samples x=1.75. */
    @Test
    void downscalingHasNoAntialiasing() {
        float[] src = {0f, 4f, 8f};
        float[] out = new float[2];
        BilinearResize.samplePlane(src, 0, 3, new BilinearResize(1, 1), new BilinearResize(3, 2), 0, 0, 1, 2, false, out, 0);
        assertArrayEquals(new float[] {1f, 7f}, out, 1e-6f);
    }

    /** A 2x2 image to 4x4 in both axes: the bilinear surface at the hand-computed points. */
    @Test
    void twoDimensionalResizeMatchesHandValues() {
        float[] src = {0f, 1f, 2f, 3f}; // rows [0 1] [2 3]
        float[] out = new float[16];
        BilinearResize r = new BilinearResize(2, 4);
        BilinearResize.samplePlane(src, 0, 2, r, r, 0, 0, 4, 4, false, out, 0);
        // value = x + 2y with x,y in {0, .25, .75, 1}
        float[] axis = {0f, 0.25f, 0.75f, 1f};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(axis[x] + 2 * axis[y], out[y * 4 + x], 1e-6f, "(" + y + "," + x + ")");
            }
        }
    }

    private static ImageSet gradientImages(int n) {
        byte[] pixels = new byte[n * 3072];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
            for (int p = 0; p < 3072; p++) {
                pixels[i * 3072 + p] = (byte) ((p % 32) * 8 + i); // varies along x
            }
        }
        List<String> classes = new ArrayList<>();
        for (int c = 0; c < 10; c++) {
            classes.add("c" + c);
        }
        return new ImageSet(pixels, labels, 32, 32, classes);
    }

    @Test
    void evalOutputIsRescaledResizeOfTheInput() {
        RunConfig c = RunConfig.defaults();
        ImageSet set = gradientImages(3);
        Batch b = BatchLoader.evaluation(set, c, 2).build(0);
        assertEquals(2, b.size());
        assertEquals(2 * 3 * 48 * 48, b.images().length);
        // column 0 of a 32->48 resize samples x=-0.1667 -> clamps to pixel 0; value = byte/255
        assertEquals((0 * 8 + 0) / 255f, b.images()[0], 1e-6f);
        for (float v : b.images()) {
            assertTrue(v >= 0f && v <= 1f);
        }
    }

    @Test
    void trainingBatchesAreShuffledPerEpochDropTheRestAndRepeatForTheSameSeed() {
        RunConfig c = RunConfig.defaults();
        ImageSet set = gradientImages(50);
        BatchLoader e0 = BatchLoader.training(set, c, 16, 0);
        assertEquals(3, e0.batchCount());
        int[] first = e0.build(0).indices();
        assertArrayEquals(first, BatchLoader.training(set, c, 16, 0).build(0).indices());
        assertArrayEquals(e0.build(1).images(), BatchLoader.training(set, c, 16, 0).build(1).images());
        assertFalse(Arrays.equals(first, BatchLoader.training(set, c, 16, 1).build(0).indices()));
        Set<Integer> seen = new HashSet<>();
        for (Batch b : e0) {
            for (int i : b.indices()) {
                assertTrue(seen.add(i), "image " + i + " twice in one epoch");
            }
        }
        assertEquals(48, seen.size());
    }

    @Test
    void randomCropsAndFlipsVaryAndStayInsideTheResizedImage() {
        RunConfig c = RunConfig.defaults();
        Augmentation aug = new Augmentation(c, 32, 32);
        ImageSet set = gradientImages(1);
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        Set<String> distinct = new HashSet<>();
        float[] scratch = aug.newScratch();
        boolean sawFlip = false;
        for (int i = 0; i < 40; i++) {
            float[] out = new float[aug.outputSize()];
            aug.train(set.pixels(), 0, scratch, random, out, 0);
            distinct.add(Arrays.toString(Arrays.copyOf(out, 48)));
            sawFlip |= out[0] > out[47]; // the source rises along x, so a flipped row falls
        }
        assertTrue(distinct.size() > 5, "crops should vary: " + distinct.size());
        assertTrue(sawFlip, "some rows should be mirrored");
    }

    @Test
    void evaluationKeepsThePartialLastBatch() {
        ImageSet set = gradientImages(37);
        BatchLoader loader = BatchLoader.evaluation(set, RunConfig.defaults(), 16);
        int total = 0;
        for (Batch b : loader) {
            total += b.size();
        }
        assertEquals(37, total);
        assertEquals(3, loader.batchCount());
    }

    /**
     * pad_crop: every training output is the image shifted by (dy, dx) in [-pad, pad], zeros
     * where it moved in from outside, mirrored or not; all 2 (2 pad + 1)^2 views occur; eval is
     * the image itself.
     */
    @Test
    void padCropShiftsWithZerosAndFlips() {
        RunConfig c = RunConfig.defaults().with("input_shape=[4,4,3]", "image_size=4", "chunk_size=1",
                "augmentation=" + DataConfig.PAD_CROP, "pad=1");
        Augmentation a = new Augmentation(c, 4, 4);
        byte[] pixels = new byte[48];
        for (int i = 0; i < 48; i++) {
            pixels[i] = (byte) (i + 1);
        }
        float[] out = new float[48];
        a.eval(pixels, 0, a.newScratch(), out, 0);
        for (int i = 0; i < 48; i++) {
            assertEquals((i + 1) / 255f, out[i], 1e-7f);
        }
        Set<String> seen = new HashSet<>();
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int draw = 0; draw < 400; draw++) {
            a.train(pixels, 0, a.newScratch(), random, out, 0);
            seen.add(view(out));
        }
        Set<String> expected = new HashSet<>();
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                for (boolean flip : new boolean[] {false, true}) {
                    float[] v = new float[48];
                    for (int ch = 0; ch < 3; ch++) {
                        for (int y = 0; y < 4; y++) {
                            for (int x = 0; x < 4; x++) {
                                int sy = y + dy;
                                int sx = (flip ? 3 - x : x) + dx;
                                v[ch * 16 + y * 4 + x] = sy < 0 || sy > 3 || sx < 0 || sx > 3 ? 0
                                        : (ch * 16 + sy * 4 + sx + 1) * (float) (1 / 255.0);
                            }
                        }
                    }
                    expected.add(view(v));
                }
            }
        }
        assertEquals(expected, seen);
    }

    private static String view(float[] v) {
        return Arrays.toString(v);
    }
}
