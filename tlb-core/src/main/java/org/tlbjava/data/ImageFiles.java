package org.tlbjava.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.SampleModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
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

    /**
     * The image files an argument names: a directory gives every file with an image extension
     * under it (recursively, sorted, hidden files left out); a pattern with {@code * ? [ {} not naming an existing file is
     * a glob ({@code **} crosses folders) matched under its fixed leading folders; anything else
     * is itself, to be read (and refused by {@link #read} when it is not an image).
     */
    public static List<Path> expand(Path argument) {
        if (Files.isDirectory(argument)) {
            // hidden files are not the user's images (macOS writes "._cat.jpg" beside "cat.jpg")
            List<Path> found = walk(argument, file -> hasImageExtension(file)
                    && !file.getFileName().toString().startsWith("."));
            if (found.isEmpty()) {
                throw new TlbException(argument + " is a directory with no " + FORMAT_NAMES + " files under it");
            }
            return found;
        }
        String text = argument.toString();
        if (Files.exists(argument) || !isGlob(text)) {
            return List.of(argument);
        }
        Path base = argument.getRoot();
        for (Path part : argument) {
            if (isGlob(part.toString())) {
                break;
            }
            base = base == null ? part : base.resolve(part);
        }
        Path root = base == null ? Path.of("") : base;
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + text);
        List<Path> found = Files.isDirectory(root.toString().isEmpty() ? Path.of(".") : root)
                ? walk(root, file -> matcher.matches(file)) : List.of();
        if (found.isEmpty()) {
            throw new TlbException(text + ": no files match this pattern");
        }
        return found;
    }

    private static boolean isGlob(String text) {
        return text.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static List<Path> walk(Path dir, java.util.function.Predicate<Path> keep) {
        Path start = dir.toString().isEmpty() ? Path.of(".") : dir;
        try (Stream<Path> files = Files.walk(start)) {
            // paths under "." are given back as the user wrote them: "cat.jpg", not "./cat.jpg"
            return files.filter(Files::isRegularFile)
                    .map(file -> start == dir ? file : start.relativize(file))
                    .filter(keep).sorted().toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new TlbException("cannot list " + start + ": " + e.getMessage());
        }
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
        try (Decoder decoder = open(in, name)) {
            Header header = decoder.header();
            if (header.pixels() > maxPixels) {
                throw new TooLarge(String.format(Locale.ROOT,
                        "%s: a %d x %d image (%,d pixels) is over max_image_pixels = %,d; not decoded",
                        name, header.width(), header.height(), header.pixels(), maxPixels));
            }
            return decoder.read();
        }
    }

    /** An image's size, read from its header. */
    public record Header(long width, long height) {
        public long pixels() {
            return width * height;
        }
    }

    /** Opens an image for decoding: its format is checked and its header can be read; no pixel is decoded yet. */
    public static Decoder open(InputStream in, String name) {
        ImageInputStream stream = null;
        try {
            stream = ImageIO.createImageInputStream(in);
            Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
            if (!readers.hasNext()) {
                throw new TlbException(name + ": not a readable image (supported: " + FORMAT_NAMES + ")");
            }
            ImageReader reader = readers.next();
            if (Format.named(reader.getFormatName()) == null) {
                reader.dispose();
                throw new TlbException(name + ": a " + reader.getFormatName() + " image, not one of " + FORMAT_NAMES);
            }
            reader.setInput(stream, true, true);
            return new Decoder(name, stream, reader);
        } catch (IOException | RuntimeException e) {
            closeQuietly(stream);
            throw e instanceof TlbException tlb ? tlb : cannotRead(name, e);
        }
    }

    /** An image being decoded; see {@link #open}. */
    public static final class Decoder implements AutoCloseable {
        private final String name;
        private final ImageInputStream stream;
        private final ImageReader reader;

        private Decoder(String name, ImageInputStream stream, ImageReader reader) {
            this.name = name;
            this.stream = stream;
            this.reader = reader;
        }

        public Header header() {
            try {
                return new Header(reader.getWidth(0), reader.getHeight(0));
            } catch (IOException | RuntimeException e) {
                throw cannotRead(name, e);
            }
        }

        /**
         * The bytes each pixel takes once decoded (8 for 16-bit RGBA): the data elements of the
         * layout {@link #read} decodes to, times their size. Reads past the header (a PNG's
         * metadata), so check the {@link #header} first.
         */
        public int bytesPerPixel() {
            try {
                SampleModel layout = reader.getImageTypes(0).next().getSampleModel();
                return Math.max(1, layout.getNumDataElements() * DataBuffer.getDataTypeSize(layout.getDataType()) / 8);
            } catch (IOException | RuntimeException e) {
                throw cannotRead(name, e);
            }
        }

        public BufferedImage read() {
            try {
                return reader.read(0);
            } catch (IOException | RuntimeException e) {
                throw cannotRead(name, e); // decoders throw IOException or, on corrupt data, assorted runtime exceptions
            }
        }

        @Override
        public void close() {
            reader.dispose();
            closeQuietly(stream);
        }
    }

    private static TlbException cannotRead(String name, Exception e) {
        return new TlbException(name + ": cannot read image (" + e.getMessage() + ")", e);
    }

    private static void closeQuietly(ImageInputStream stream) {
        try {
            if (stream != null) {
                stream.close();
            }
        } catch (IOException ignored) {
            // nothing was written through it
        }
    }
}
