package org.tlbjava.explain;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplainTest {
    @Test
    void infernoHasMatplotlibsEntries() {
        assertEquals(0x000004, Inferno.rgb(0.0));        // (0.001462, 0.000466, 0.013866)
        assertEquals(0xbc3754, Inferno.rgb(0.5));        // (0.735683, 0.215906, 0.330245)
        assertEquals(0xfcffa4, Inferno.rgb(1.0));        // (0.988362, 0.998364, 0.644924)
        assertEquals(Inferno.rgb(1.0), Inferno.rgb(7.0)); // clipped
        assertEquals(Inferno.rgb(0.0), Inferno.rgb(-1.0));
    }

    /** UpSampling2D(size=2, interpolation="bilinear") of [[0,1],[2,3]]: half-pixel centres, edges clamped. */
    @Test
    void upsamplingATinyGrid() {
        float[] out = AttentionMaps.upsample(new float[] {0, 1, 2, 3}, 2, 4);
        float[] expected = {
            0f, 0.25f, 0.75f, 1f,
            0.5f, 0.75f, 1.25f, 1.5f,
            1.5f, 1.75f, 2.25f, 2.5f,
            2f, 2.25f, 2.75f, 3f};
        assertArrayEquals(expected, out, 1e-6f);
    }

    @Test
    void overlayBlendsInfernoAtAlphaPointSix() {
        java.awt.image.BufferedImage white = new java.awt.image.BufferedImage(2, 2, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 4; i++) {
            white.setRGB(i % 2, i / 2, 0xffffff);
        }
        java.awt.image.BufferedImage out = AttentionImages.overlay(white, new float[] {0f, 1f, 1f, 1f});
        // low end: 0.6 * (0,0,4) + 0.4 * 255 = (102, 102, 104); high end: 0.6 * (252,255,164) + 102
        assertEquals(0x666668, out.getRGB(0, 0) & 0xffffff);
        assertEquals((253 << 16) | (255 << 8) | 200, out.getRGB(1, 0) & 0xffffff);
    }

    /** Whether any pixel in rows [top, bottom) is not white. */
    private static boolean ink(BufferedImage img, int top, int bottom) {
        for (int y = top; y < bottom; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether one row holds both ends of the inferno scale, left to right: the colour bar. */
    private static boolean colourScale(BufferedImage img) {
        for (int y = 0; y < img.getHeight(); y++) {
            int low = -1;
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                if (rgb == Inferno.rgb(0) && low < 0) {
                    low = x;
                } else if (rgb == Inferno.rgb(1) && low >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void attentionPicturesAreTitledAndCarryTheColourScale() {
        BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        float[] heat = new float[64];
        heat[9] = 1;
        BufferedImage titled = AttentionImages.sideBySide(image, heat, 4, "true: cat / pred: dog");
        assertTrue(ink(titled, 0, 14), "a title line at the top");
        assertFalse(ink(AttentionImages.sideBySide(image, heat, 4, ""), 0, 14), "nothing else is drawn there");
        assertTrue(colourScale(titled), "the per-image picture has the colour scale");
        BufferedImage overlay = AttentionImages.overlay(image, heat);
        assertFalse(colourScale(overlay), "the overlay alone has none: the check sees the bar, not the map");
        assertTrue(colourScale(AttentionImages.grid(List.of(overlay, overlay), List.of("a", "b"), 3)), "the grid has it");
    }
}
