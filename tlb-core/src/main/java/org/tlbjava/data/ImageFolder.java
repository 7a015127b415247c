package org.tlbjava.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.tlbjava.TlbException;

/**
 * A folder of images, one subfolder per class ({@code DIR/<class>/*.png}), or the split layout
 * {@code DIR/train/<class>}, {@code DIR/val/<class>}, {@code DIR/test/<class>}. Images are decoded
 * by {@link ImageFiles} and scaled to the configured input size, so the CIFAR pipeline applies
 * unchanged. {@code val/} and {@code test/} may lack a class of {@code train/}, never add one.
 */
public final class ImageFolder {
    private ImageFolder() {}

    /** True when {@code dir} holds class subfolders or a {@code train/} folder. */
    public static boolean looksLikeImageFolder(Path dir) {
        return !subdirectories(dir).isEmpty();
    }

    public static Splits load(Path dir, int side, double valFraction, long seed, long maxPixels) {
        Path trainDir = dir.resolve("train");
        FileSizes.Counter sizes = new FileSizes.Counter();
        if (Files.isDirectory(trainDir)) {
            List<String> classes = classNames(trainDir);
            ImageSet train = readClasses(trainDir, classes, side, maxPixels, sizes);
            Path valDir = dir.resolve("val");
            Path testDir = dir.resolve("test");
            ImageSet test = Files.isDirectory(testDir) ? readClasses(testDir, classes, side, maxPixels, sizes) : null;
            if (Files.isDirectory(valDir)) {
                ImageSet val = readClasses(valDir, classes, side, maxPixels, sizes);
                return new Splits(dir + " (image folder, train/val layout)", train, val, test, sizes.sizes());
            }
            ImageSet[] parts = stratifiedSplit(train, valFraction, seed);
            return new Splits(dir + " (image folder, train/ split " + fractionText(valFraction) + ")",
                    parts[0], parts[1], test, sizes.sizes());
        }
        List<String> classes = classNames(dir);
        ImageSet all = readClasses(dir, classes, side, maxPixels, sizes);
        ImageSet[] parts = stratifiedSplit(all, valFraction, seed);
        return new Splits(dir + " (image folder, split " + fractionText(valFraction) + ")",
                parts[0], parts[1], null, sizes.sizes());
    }

    private static String fractionText(double valFraction) {
        return String.format(Locale.ROOT, "%.0f%% for validation, seeded", valFraction * 100);
    }

    private static List<String> classNames(Path dir) {
        List<String> names = new ArrayList<>();
        for (Path sub : subdirectories(dir)) {
            names.add(sub.getFileName().toString());
        }
        if (names.size() < 2) {
            throw new TlbException("image folder " + dir + " needs at least two class subfolders, found "
                    + names.size());
        }
        return names;
    }

    private static List<Path> subdirectories(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Reads {@code dir/<class>/*} for each class folder in {@code dir}, labelled by its place in
     * {@code classes}; a folder not in {@code classes} is an error. Unreadable files and images over
     * {@code maxPixels} are skipped with a warning.
     */
    static ImageSet readClasses(Path dir, List<String> classes, int side, long maxPixels, FileSizes.Counter sizes) {
        List<byte[]> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<Path> classDirs = subdirectories(dir);
        if (classDirs.isEmpty()) {
            throw new TlbException("image folder " + dir + " has no class subfolders");
        }
        for (Path classDir : classDirs) {
            int label = classes.indexOf(classDir.getFileName().toString());
            if (label < 0) {
                throw new TlbException("class folder " + classDir + " is not a class of the training images "
                        + classes + ": the model cannot learn it; add it to train/ or remove it");
            }
            List<Path> files;
            try (Stream<Path> entries = Files.list(classDir)) {
                files = entries.filter(Files::isRegularFile)
                        .filter(p -> !p.getFileName().toString().startsWith(".")) // as ImageFiles.expand
                        .sorted().toList();
            } catch (IOException e) {
                throw new TlbException("class folder " + classDir + " is missing or unreadable");
            }
            int found = 0;
            for (Path file : files) {
                if (!ImageFiles.hasImageExtension(file)) {
                    System.err.println("warning: skipping " + file + ": not a " + ImageFiles.FORMAT_NAMES + " file");
                    continue;
                }
                try {
                    BufferedImage image = ImageFiles.read(file, maxPixels);
                    sizes.add(image.getWidth(), image.getHeight());
                    images.add(toPlanarRgb(image, side));
                    labels.add(label);
                    found++;
                } catch (TlbException e) {
                    System.err.println("warning: skipping " + e.getMessage());
                }
            }
            if (found == 0) {
                throw new TlbException("class folder " + classDir + " has no readable images");
            }
        }
        int bytes = 3 * side * side;
        byte[] pixels = new byte[images.size() * bytes];
        int[] labelArray = new int[images.size()];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(images.get(i), 0, pixels, i * bytes, bytes);
            labelArray[i] = labels.get(i);
        }
        return new ImageSet(pixels, labelArray, side, side, classes);
    }

    /** Scales an image to {@code side x side} RGB and returns its planes (R, G, B) as bytes. */
    public static byte[] toPlanarRgb(BufferedImage image, int side) {
        BufferedImage rgb = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(image, 0, 0, side, side, null);
        g.dispose();
        int plane = side * side;
        byte[] out = new byte[3 * plane];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int p = rgb.getRGB(x, y);
                int i = y * side + x;
                out[i] = (byte) (p >> 16);
                out[plane + i] = (byte) (p >> 8);
                out[2 * plane + i] = (byte) p;
            }
        }
        return out;
    }

    /** Splits each class by the same fraction after a seeded shuffle; both parts keep every class. */
    static ImageSet[] stratifiedSplit(ImageSet all, double valFraction, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Integer> train = new ArrayList<>();
        List<Integer> val = new ArrayList<>();
        for (int label = 0; label < all.classes().size(); label++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                if (all.label(i) == label) {
                    members.add(i);
                }
            }
            for (int i = members.size() - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                members.set(j, members.set(i, members.get(j)));
            }
            int valCount = members.size() < 2 ? 0 : Math.max(1, (int) Math.round(members.size() * valFraction));
            val.addAll(members.subList(0, valCount));
            train.addAll(members.subList(valCount, members.size()));
        }
        if (val.isEmpty()) {
            throw new TlbException("the image folder is too small to hold out validation images");
        }
        return new ImageSet[] {
            all.select(train.stream().mapToInt(Integer::intValue).toArray()),
            all.select(val.stream().mapToInt(Integer::intValue).toArray())
        };
    }
}
