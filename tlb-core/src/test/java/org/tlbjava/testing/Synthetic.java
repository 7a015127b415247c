package org.tlbjava.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Small CIFAR-format datasets for tests: each class has its own mean colour, so a model can learn them. */
public final class Synthetic {
    public static final String[] CLASSES =
            {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};

    private Synthetic() {}

    /** One batch file's bytes: {@code records} records, label i % 10, pixels around a per-class colour. */
    public static byte[] batch(int records, long seed) {
        Random random = new Random(seed);
        byte[] out = new byte[records * 3073];
        for (int i = 0; i < records; i++) {
            int label = i % 10;
            out[i * 3073] = (byte) label;
            for (int p = 0; p < 3072; p++) {
                int channel = p / 1024;
                int base = (label * 37 + channel * 71) % 200;
                out[i * 3073 + 1 + p] = (byte) (base + random.nextInt(56));
            }
        }
        return out;
    }

    /** Writes a cifar-10-batches-bin directory with five batches of {@code perBatch} records each. */
    public static Path cifarDir(Path parent, int perBatch, boolean withTest) throws IOException {
        Path dir = Files.createDirectories(parent.resolve("cifar-10-batches-bin"));
        for (int b = 1; b <= 5; b++) {
            Files.write(dir.resolve("data_batch_" + b + ".bin"), batch(perBatch, b));
        }
        if (withTest) {
            Files.write(dir.resolve("test_batch.bin"), batch(perBatch, 99));
        }
        Files.writeString(dir.resolve("batches.meta.txt"), String.join("\n", CLASSES) + "\n");
        return dir;
    }

    /**
     * An own-images folder as a user has one: {@code DIR/<class>/}, classes red, green and blue
     * with noise, at mixed sizes (96x96, 80x64), PNG and JPEG, every fifth image grayscale
     * (a blue-ish shade of gray is still darker than a red one, so the classes stay learnable).
     */
    public static Path imageFolder(Path dir, int perClass) throws IOException {
        String[] classes = {"bird", "cat", "dog"};
        int[][] colours = {{220, 40, 40}, {40, 200, 40}, {40, 40, 220}};
        Random random = new Random(7);
        for (int c = 0; c < classes.length; c++) {
            Path classDir = Files.createDirectories(dir.resolve(classes[c]));
            for (int i = 0; i < perClass; i++) {
                boolean gray = i % 5 == 4;
                int w = i % 2 == 0 ? 96 : 80;
                int h = i % 2 == 0 ? 96 : 64;
                java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h,
                        gray ? java.awt.image.BufferedImage.TYPE_BYTE_GRAY : java.awt.image.BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int[] rgb = new int[3];
                        for (int k = 0; k < 3; k++) {
                            rgb[k] = Math.max(0, Math.min(255, colours[c][k] + random.nextInt(41) - 20));
                        }
                        img.setRGB(x, y, rgb[0] << 16 | rgb[1] << 8 | rgb[2]);
                    }
                }
                String format = i % 3 == 0 ? "jpg" : "png";
                javax.imageio.ImageIO.write(img, format, classDir.resolve(classes[c] + "-" + i + "." + format).toFile());
            }
        }
        return dir;
    }

    /** A tar.gz holding the given entries (name, content); a null content makes a directory entry. */
    public static byte[] tarGz(String[] names, byte[][] contents) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GzipCompressorOutputStream(bytes);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (int i = 0; i < names.length; i++) {
                TarArchiveEntry entry = new TarArchiveEntry(names[i], true);
                if (contents[i] != null) {
                    entry.setSize(contents[i].length);
                }
                tar.putArchiveEntry(entry);
                if (contents[i] != null) {
                    tar.write(contents[i]);
                }
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /**
     * Writes {@code perClass} 32 x 32 PNGs of each class as {@code dir/<class>/NNNN.png}, from the
     * records of {@link #batch}; returns the files, in record order.
     */
    public static List<Path> imageFolder(Path dir, int perClass, long seed) throws IOException {
        byte[] records = batch(perClass * CLASSES.length, seed);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < perClass * CLASSES.length; i++) {
            BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            int at = i * 3073;
            for (int p = 0; p < 1024; p++) {
                int r = records[at + 1 + p] & 0xff;
                int g = records[at + 1 + 1024 + p] & 0xff;
                int b = records[at + 1 + 2048 + p] & 0xff;
                image.setRGB(p % 32, p / 32, (r << 16) | (g << 8) | b);
            }
            Path file = Files.createDirectories(dir.resolve(CLASSES[records[at]]))
                    .resolve(String.format(Locale.ROOT, "%04d.png", i));
            ImageIO.write(image, "png", file.toFile());
            files.add(file);
        }
        return files;
    }

    /** The official archive's layout with five small batches. */
    public static byte[] cifarArchive(int perBatch) throws IOException {
        String[] names = new String[7];
        byte[][] contents = new byte[7][];
        names[0] = "cifar-10-batches-bin/";
        for (int b = 1; b <= 5; b++) {
            names[b] = "cifar-10-batches-bin/data_batch_" + b + ".bin";
            contents[b] = batch(perBatch, b);
        }
        names[6] = "cifar-10-batches-bin/batches.meta.txt";
        contents[6] = (String.join("\n", CLASSES) + "\n").getBytes();
        return tarGz(names, contents);
    }
}
