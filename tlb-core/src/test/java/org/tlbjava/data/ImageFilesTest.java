package org.tlbjava.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;

class ImageFilesTest {
    private static final long LIMIT = RunConfig.defaults().data().maxImagePixels();

    @TempDir
    Path tmp;

    /** A PNG signature and header announcing {@code width x height}, with no pixel data after it. */
    static byte[] pngHeader(int width, int height) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        DataOutputStream c = new DataOutputStream(chunk);
        c.write("IHDR".getBytes(StandardCharsets.US_ASCII));
        c.writeInt(width);
        c.writeInt(height);
        c.write(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB
        CRC32 crc = new CRC32();
        crc.update(chunk.toByteArray());
        out.writeInt(13);
        out.write(chunk.toByteArray());
        out.writeInt((int) crc.getValue());
        return bytes.toByteArray();
    }

    @Test
    void anImageOverTheLimitIsRefusedFromItsHeaderWithoutDecoding() throws Exception {
        Path huge = Files.write(tmp.resolve("huge.png"), pngHeader(20_000, 20_000));
        TlbException e = assertThrows(TlbException.class, () -> ImageFiles.read(huge, LIMIT));
        assertTrue(e.getMessage().contains("huge.png: a 20000 x 20000 image (400,000,000 pixels) is over"
                + " max_image_pixels = 50,000,000"), e.getMessage());
    }

    @Test
    void missingFilesDirectoriesAndNonImagesAreNamedPlainly() throws Exception {
        TlbException missing = assertThrows(TlbException.class, () -> ImageFiles.read(tmp.resolve("cat.jpg"), LIMIT));
        assertEquals(tmp.resolve("cat.jpg") + ": no such file", missing.getMessage());
        TlbException dir = assertThrows(TlbException.class, () -> ImageFiles.read(tmp, LIMIT));
        assertEquals(tmp + " is a directory, not an image file", dir.getMessage());
        TlbException text = assertThrows(TlbException.class,
                () -> ImageFiles.read(new ByteArrayInputStream("hello".getBytes()), "stdin", LIMIT));
        assertTrue(text.getMessage().startsWith("stdin: not a readable image (supported: PNG, JPEG"), text.getMessage());
    }

    @Test
    void theHelpTextNamesExactlyTheSupportedFormats() {
        assertEquals(Arrays.stream(ImageFiles.Format.values()).map(Enum::name).collect(Collectors.joining(", ")),
                ImageFiles.FORMAT_NAMES);
        for (String name : new String[] {"a.png", "a.JPG", "a.jpeg", "a.bmp", "a.gif", "a.tif", "a.tiff", "a.wbmp"}) {
            assertTrue(ImageFiles.hasImageExtension(Path.of(name)), name);
        }
        assertFalse(ImageFiles.hasImageExtension(Path.of("notes.txt")));
    }
}
