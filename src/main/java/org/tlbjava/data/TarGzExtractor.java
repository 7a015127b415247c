package org.tlbjava.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.tlbjava.TlbException;
import org.tlbjava.io.AtomicFiles;

/**
 * Extracts a {@code .tar.gz} atomically: everything goes into a hidden temporary directory beside
 * the target, and only a complete extraction is renamed into place.
 */
public final class TarGzExtractor {
    private TarGzExtractor() {}

    /**
     * Extracts {@code archive} and moves its top-level folder {@code expectedDir} to
     * {@code parent/expectedDir}. An entry that would land outside the extraction directory (an
     * absolute path, {@code ..}, a link) rejects the whole archive and nothing is kept.
     */
    public static Path extract(Path archive, Path parent, String expectedDir) {
        Path target = parent.resolve(expectedDir);
        Path temp;
        try {
            temp = Files.createTempDirectory(parent, ".extract-");
        } catch (IOException e) {
            throw new TlbException("cannot create a directory in " + parent + " to extract " + archive
                    + ": " + e.getMessage());
        }
        try {
            unpack(archive, temp);
            Path extracted = temp.resolve(expectedDir);
            if (!Files.isDirectory(extracted)) {
                throw new TlbException("archive " + archive + " holds no " + expectedDir + "/ folder");
            }
            Files.move(extracted, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new TlbException("cannot extract " + archive + ": " + e.getMessage());
        } finally {
            AtomicFiles.deleteTree(temp);
        }
    }

    private static void unpack(Path archive, Path into) throws IOException {
        Path root = into.toAbsolutePath().normalize();
        try (InputStream file = new BufferedInputStream(Files.newInputStream(archive));
                InputStream gzip = new GzipCompressorInputStream(file);
                TarArchiveInputStream tar = new TarArchiveInputStream(gzip)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path out = root.resolve(entry.getName()).normalize();
                if (!out.startsWith(root) || entry.getName().startsWith("/")) {
                    throw new TlbException("archive " + archive + ": entry '" + entry.getName()
                            + "' would escape the target directory; nothing was extracted");
                }
                if (entry.isSymbolicLink() || entry.isLink()) {
                    throw new TlbException("archive " + archive + ": entry '" + entry.getName()
                            + "' is a link, which is not allowed; nothing was extracted");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else if (entry.isFile()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new TlbException("archive " + archive + " is not a readable .tar.gz: " + e.getMessage());
        }
    }
}
