package org.tlbjava.data;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;

class ImageFolderTest {
    @TempDir
    Path tmp;

    static void image(Path file, Color color, int w, int h) throws Exception {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, color.getRGB());
            }
        }
        String name = file.getFileName().toString();
        ImageIO.write(img, name.substring(name.lastIndexOf('.') + 1), file.toFile());
    }

    @Test
    void classFoldersAreSplitStratifiedAndSeeded() throws Exception {
        for (int i = 0; i < 10; i++) {
            image(tmp.resolve("cats/" + i + ".png"), Color.RED, 64, 40);
            image(tmp.resolve("dogs/" + i + ".jpg"), Color.BLUE, 20, 20);
        }
        Splits s = new DataLocator().load(tmp.toString(), RunConfig.defaults());
        assertEquals(java.util.List.of("cats", "dogs"), s.classes());
        assertEquals(16, s.train().size());
        assertEquals(4, s.val().size());
        assertArrayEquals(new int[] {2, 2}, s.val().classCounts());
        assertEquals(32, s.train().height());
        int red = s.train().pixels()[0] & 0xff;
        assertTrue(red > 240, "cats are red: " + red);
        Splits again = new DataLocator().load(tmp.toString(), RunConfig.defaults());
        assertArrayEquals(s.val().pixels(), again.val().pixels());
    }

    @Test
    void trainValTestLayoutIsHonouredAndBadFilesAreSkipped() throws Exception {
        for (String split : new String[] {"train", "val", "test"}) {
            image(tmp.resolve(split + "/a/1.bmp"), Color.GREEN, 32, 32);
            image(tmp.resolve(split + "/b/1.png"), Color.WHITE, 32, 32);
        }
        Files.writeString(tmp.resolve("train/a/broken.png"), "not an image");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err));
        Splits s;
        try {
            s = new DataLocator().load(tmp.toString(), RunConfig.defaults());
        } finally {
            System.setErr(old);
        }
        assertEquals(2, s.train().size());
        assertEquals(2, s.val().size());
        assertEquals(2, s.test().size());
        assertTrue(err.toString().contains("broken.png"), err.toString());
    }

    @Test
    void aClassWithNoReadableImageIsAnError() throws Exception {
        image(tmp.resolve("a/1.png"), Color.GREEN, 8, 8);
        image(tmp.resolve("a/2.png"), Color.GREEN, 8, 8);
        Files.createDirectories(tmp.resolve("b"));
        Files.writeString(tmp.resolve("b/x.png"), "garbage");
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(new java.io.ByteArrayOutputStream()));
        try {
            TlbException e = assertThrows(TlbException.class, () -> new DataLocator().load(tmp.toString(), RunConfig.defaults()));
            assertTrue(e.getMessage().contains("b") && e.getMessage().contains("no readable images"), e.getMessage());
        } finally {
            System.setErr(old);
        }
    }

    private static Splits loadQuietly(Path dir, RunConfig config, java.io.ByteArrayOutputStream err) {
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err));
        try {
            return new DataLocator().load(dir.toString(), config);
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void gifAndTiffAreReadLikeEveryFormatPredictReads() throws Exception {
        for (int i = 0; i < 3; i++) {
            image(tmp.resolve("a/" + i + ".gif"), Color.RED, 16, 16);
            image(tmp.resolve("b/" + i + ".tiff"), Color.BLUE, 16, 16);
        }
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        Splits s = loadQuietly(tmp, RunConfig.defaults(), err);
        assertEquals(6, s.train().size() + s.val().size());
        assertEquals("", err.toString());
    }

    @Test
    void imagesOverMaxImagePixelsAreSkippedNamingTheirSize() throws Exception {
        for (int i = 0; i < 2; i++) {
            image(tmp.resolve("a/" + i + ".png"), Color.RED, 10, 10);
            image(tmp.resolve("b/" + i + ".png"), Color.BLUE, 10, 10);
        }
        image(tmp.resolve("b/big.png"), Color.BLUE, 40, 30);
        RunConfig config = RunConfig.defaults().with("max_image_pixels=1000");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        Splits s = loadQuietly(tmp, config, err);
        assertEquals(4, s.train().size() + s.val().size());
        assertTrue(err.toString().contains("big.png: a 40 x 30 image (1,200 pixels) is over max_image_pixels = 1,000"),
                err.toString());
    }

    @Test
    void aValClassThatTrainLacksIsAnErrorButTrainMayHaveMore() throws Exception {
        for (String path : new String[] {"train/a/1.png", "train/b/1.png", "train/c/1.png", "val/a/1.png", "val/b/1.png"}) {
            image(tmp.resolve(path), Color.GREEN, 8, 8);
        }
        Splits s = new DataLocator().load(tmp.toString(), RunConfig.defaults());
        assertEquals(java.util.List.of("a", "b", "c"), s.classes());
        assertArrayEquals(new int[] {1, 1, 0}, s.val().classCounts());
        image(tmp.resolve("val/zebra/1.png"), Color.GREEN, 8, 8);
        TlbException e = assertThrows(TlbException.class, () -> new DataLocator().load(tmp.toString(), RunConfig.defaults()));
        assertTrue(e.getMessage().contains(tmp.resolve("val/zebra").toString())
                && e.getMessage().contains("not a class of the training images"), e.getMessage());
    }
}
