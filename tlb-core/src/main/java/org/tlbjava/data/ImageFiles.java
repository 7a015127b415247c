package org.tlbjava.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.tlbjava.TlbException;

/**
 * Reads user images, the one place that does: only the formats below, and only after the header
 * shows the image is within {@code max_image_pixels} (a 20000 x 20000 PNG is 1.6 GB decoded).
 */
public final class ImageFiles {
    /** The formats Java 17's ImageIO reads, with their file extensions. */
    enum Format {
        PNG("png"), JPEG("jpg", "jpeg"), BMP("bmp"), GIF("gif"), TIFF("tif", "tiff"), WBMP("wbmp");

        final List<String> extensions;

        Format(String... extensions) {
            this.extensions = List.of(extensions);
        }

        /** The format an ImageIO reader names ("png", "JPEG", "tif", …), or null. */
        static Format named(String readerFormat) {
            String name = readerFormat.toLowerCase(Locale.ROOT);
            return Arrays.stream(values())
                    .filter(f -> f.name().equalsIgnoreCase(name) || f.extensions.contains(name))
                    .findFirst().orElse(null);
        }
    }

    /** An image refused from its header for having more than the allowed pixels. */
    public static final class TooLarge extends TlbException {
        TooLarge(String message) {
            super(message);
        }
    }

    /** {@link Format}'s names, for help texts (a constant, as annotations need; a test keeps it in step). */
    public static final String FORMAT_NAMES = "PNG, JPEG, BMP, GIF, TIFF, WBMP";

    private ImageFiles() {}

    /** True when the file's extension is one of a supported format. */
    public static boolean hasImageExtension(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot >= 0 && Arrays.stream(Format.values()).anyMatch(f -> f.extensions.contains(name.substring(dot + 1)));
    }

    /** Decodes an image file; a clear error naming the file when it cannot or may not. */
    public static BufferedImage read(Path file, long maxPixels) {
        if (Files.isDirectory(file)) {
            throw new TlbException(file + " is a directory, not an image file");
        }
        if (!Files.exists(file)) {
            throw new TlbException(file + ": no such file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), maxPixels);
        } catch (IOException e) {
            throw new TlbException(file + ": cannot read image (" + e.getMessage() + ")");
        }
    }

    /** Decodes one image from a stream (such as stdin); {@code name} names it in errors. */
    public static BufferedImage read(InputStream in, String name, long maxPixels) {
        try (ImageInputStream stream = ImageIO.createImageInputStream(in)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
            if (!readers.hasNext()) {
                throw new TlbException(name + ": not a readable image (supported: " + FORMAT_NAMES + ")");
            }
            ImageReader reader = readers.next();
            try {
                if (Format.named(reader.getFormatName()) == null) {
                    throw new TlbException(name + ": a " + reader.getFormatName() + " image, not one of "
                            + FORMAT_NAMES);
                }
                reader.setInput(stream, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width * height > maxPixels) {
                    throw new TooLarge(String.format(Locale.ROOT,
                            "%s: a %d x %d image (%,d pixels) is over max_image_pixels = %,d; not decoded",
                            name, width, height, width * height, maxPixels));
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (TlbException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // decoders throw IOException or, on corrupt data, assorted runtime exceptions
            throw new TlbException(name + ": cannot read image (" + e.getMessage() + ")");
        }
    }
}
