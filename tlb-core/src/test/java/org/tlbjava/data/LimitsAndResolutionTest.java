package org.tlbjava.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.UsageException;
import org.tlbjava.config.ConfigResolver;
import org.tlbjava.config.RunConfig;
import org.tlbjava.testing.Synthetic;

/** Train/val limits draw every class; --image-size derives the stored size and says how images are scaled. */
class LimitsAndResolutionTest {
    @TempDir
    Path tmp;

    /** A class-sorted set, as an image folder is read: 240 birds, then 16 cats, then 10 dogs. */
    private static ImageSet classSorted() {
        int[] labels = new int[266];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i < 240 ? 0 : i < 256 ? 1 : 2;
        }
        byte[] pixels = new byte[labels.length * 3];
        for (int i = 0; i < labels.length; i++) {
            pixels[i * 3] = (byte) i;
        }
        return new ImageSet(pixels, labels, 1, 1, List.of("bird", "cat", "dog"));
    }

    @Test
    void aLimitIsASeededStratifiedSampleThatKeepsEveryClass() {
        ImageSet all = classSorted();
        ImageSet sample = all.sample(64, 42);
        assertEquals(64, sample.size());
        int[] counts = sample.classCounts();
        assertEquals(64, counts[0] + counts[1] + counts[2]);
        assertTrue(counts[1] >= 3 && counts[2] >= 2, "cats and dogs in proportion: " + java.util.Arrays.toString(counts));
        assertTrue(counts[0] >= 56, "birds in proportion: " + java.util.Arrays.toString(counts));
        assertArrayEquals(sample.pixels(), all.sample(64, 42).pixels(), "the same seed draws the same images");
        assertFalse(java.util.Arrays.equals(sample.pixels(), all.sample(64, 43).pixels()), "another seed draws others");
        int[] tiny = all.sample(3, 1).classCounts();
        assertArrayEquals(new int[] {1, 1, 1}, tiny, "a limit of one per class still has every class");
        assertSame(all, all.sample(266, 1), "no limit: the set itself");
    }

    @Test
    void limitsApplyToCifarAndImageFoldersAndOnlyWhenSet() throws Exception {
        Synthetic.cifarDir(tmp.resolve("cifar"), 50, false);
        RunConfig config = RunConfig.defaults().with("train_slice=200", "train_limit=30", "val_limit=20");
        Splits limited = new DataLocator().load(tmp.resolve("cifar").toString(), config);
        assertEquals(30, limited.train().size());
        assertEquals(20, limited.val().size());
        for (int count : limited.train().classCounts()) {
            assertEquals(3, count, "ten classes, three each");
        }
        config = config.with("train_limit=0", "val_limit=0");
        Splits whole = new DataLocator().load(tmp.resolve("cifar").toString(), config);
        assertArrayEquals(CifarBinary.load(tmp.resolve("cifar/cifar-10-batches-bin"), 200).train().pixels(),
                whole.train().pixels(), "without limits the data is the reference's, untouched");

        Path folder = Synthetic.imageFolder(tmp.resolve("own"), 10);
        config = config.with("train_limit=6");
        Splits own = new DataLocator().load(folder.toString(), config);
        assertArrayEquals(new int[] {2, 2, 2}, own.train().classCounts());
    }

    @Test
    void imageSizeStoresFoldersAtThatSizeAndKeepsCifarsReferencePipeline() throws Exception {
        ConfigResolver cifarSize = ConfigResolver.defaults();
        Resolution.setImageSize(cifarSize, 48, false);
        RunConfig cifar = cifarSize.resolve();
        assertEquals(List.of(32, 32, 3), cifar.data().inputShape());
        assertEquals(20, cifar.data().resizeMargin(), "48 on CIFAR-10 is the reference: 32, resized to 52, cropped to 48");
        assertThrows(UsageException.class, () -> Resolution.setImageSize(ConfigResolver.defaults(), 16, false));

        ConfigResolver folderSize = ConfigResolver.defaults();
        Resolution.setImageSize(folderSize, 64, true);
        RunConfig folder = folderSize.resolve();
        assertEquals(64, folder.model().imageSize());
        assertEquals(List.of(64, 64, 3), folder.data().inputShape());
        assertEquals(5, folder.data().resizeMargin());
        Splits own = new DataLocator().load(Synthetic.imageFolder(tmp.resolve("own"), 5).toString(), folder);
        assertEquals(64, own.train().height());
        assertEquals("80x64 to 96x96, most 96x96", own.fileSizes().text());
        List<String> said = Resolution.describe(folder, own.fileSizes());
        assertTrue(said.get(0).contains("sees 64x64"), said.toString());
        assertTrue(said.contains("evaluation: the stored image as it is"), said.toString());
        assertTrue(said.stream().noneMatch(line -> line.startsWith("note")), said.toString());
    }

    @Test
    void theDefaultsOnLargePhotosAndAnOversizedInputShapeAreExplained() {
        FileSizes photos = new FileSizes("128x128", 128, false);
        List<String> defaults = Resolution.describe(RunConfig.defaults(), photos);
        assertTrue(defaults.contains("image files (128x128) are scaled to 32x32 on loading (input_shape)"), defaults.toString());
        assertTrue(defaults.stream().anyMatch(l -> l.contains("shrunk to 32x32 and then enlarged to 48x48")
                && l.contains("--image-size 48")), defaults.toString());
        RunConfig oversized = RunConfig.defaults().with("input_shape=[128,128,3]");
        List<String> crop = Resolution.describe(oversized, photos);
        assertTrue(crop.stream().anyMatch(l -> l.contains("the training crop covers 32% of the picture's side")), crop.toString());
    }
}
