package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfusionPictureTest {
    private static BufferedImage draw(int classes, String title) {
        List<String> names = new ArrayList<>();
        long[][] counts = new long[classes][classes];
        for (int c = 0; c < classes; c++) {
            names.add("class" + c);
            counts[c][c] = 10;
        }
        return ConfusionPicture.draw(names, counts, title);
    }

    /** The x of the first non-white pixel in rows [top, bottom), or -1. */
    private static int inkFrom(BufferedImage img, int top, int bottom) {
        for (int x = 0; x < img.getWidth(); x++) {
            for (int y = top; y < bottom; y++) {
                if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) {
                    return x;
                }
            }
        }
        return -1;
    }

    @Test
    void fewClassesGetLargeCellsAndEveryPictureATitle() {
        BufferedImage three = draw(3, "run, val split: 30 images, accuracy 1.0000");
        BufferedImage ten = draw(10, "run, val split");
        assertTrue(three.getWidth() >= 480 && three.getHeight() >= 400, three.getWidth() + "x" + three.getHeight());
        assertTrue(ten.getWidth() >= 600, "ten classes at a readable size: " + ten.getWidth());
        assertTrue(inkFrom(three, 0, 24) >= 0, "a title line at the top");
        assertEquals(-1, inkFrom(draw(3, ""), 0, 24), "nothing else is drawn there");
    }
}
