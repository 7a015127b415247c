package org.tlbjava.data;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.tlbjava.TlbException;
import org.tlbjava.io.AtomicFiles;

/**
 * Extracts a {@code .tar.gz} atomically: everything goes into a hidden temporary directory beside
 * the target, and only a complete extraction, within the size limits, is renamed into place.
 */
public final class TarGzExtractor {
    private static final String TEMP_PREFIX = ".extract-";

    /**
     * What an archive may expand to: {@code maxTotalBytes} of tar stream in all (a 3 MB gzip can
     * expand to gigabytes) and {@code maxEntryBytes} per file; {@code requiredFiles} (relative to
     * the top-level folder) must all be there, or nothing is moved into place.
     */
    public record Limits(long maxTotalBytes, long maxEntryBytes, List<String> requiredFiles) {}

    private TarGzExtractor() {}

    /**
     * Extracts {@code archive} and moves its top-level folder {@code expectedDir} to
     * {@code parent/expectedDir}. An entry that would land outside the extraction directory (an
     * absolute path, {@code ..}, a link) or break a limit rejects the whole archive and nothing is kept.
     */
    public static Path extract(Path archive, Path parent, String expectedDir, Limits limits) {
        Path target = parent.resolve(expectedDir);
        deleteLeftovers(parent);
        Path temp;
        try {
            // not createTempDirectory: it is made 0700, and the extracted data should follow the umask
            temp = Files.createDirectory(parent.resolve(TEMP_PREFIX + java.util.UUID.randomUUID()));
        } catch (IOException e) {
            throw new TlbException("cannot create a directory in " + parent + " to extract " + archive
                    + ": " + e.getMessage());
        }
        // Ctrl-C during extraction: the JVM runs this hook instead of the finally block below
        Thread cleanup = new Thread(() -> AtomicFiles.deleteTree(temp));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            unpack(archive, temp, limits);
            Path extracted = temp.resolve(expectedDir);
            if (!Files.isDirectory(extracted)) {
                throw new TlbException("archive " + archive + " holds no " + expectedDir + "/ folder");
            }
            for (String required : limits.requiredFiles()) {
                if (!Files.isRegularFile(extracted.resolve(required))) {
                    throw new TlbException("archive " + archive + " is incomplete: it holds no " + expectedDir
                            + "/" + required + "; nothing was extracted");
                }
            }
            Files.move(extracted, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new TlbException("cannot extract " + archive + ": " + e.getMessage());
        } finally {
            AtomicFiles.deleteTree(temp);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: nothing left to remove
            }
        }
    }

    /** Removes temporary folders left by extractions that were killed (SIGKILL, power loss). */
    private static void deleteLeftovers(Path parent) {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(parent, TEMP_PREFIX + "*")) {
            for (Path leftover : leftovers) {
                AtomicFiles.deleteTree(leftover);
            }
        } catch (IOException e) {
            // an unreadable parent fails clearly when the temporary folder is created
        }
    }

    private static void unpack(Path archive, Path into, Limits limits) throws IOException {
        Path root = into.toAbsolutePath().normalize();
        try (InputStream file = new BufferedInputStream(Files.newInputStream(archive));
                InputStream gzip = new GzipCompressorInputStream(file);
                InputStream capped = new CappedInputStream(gzip, archive, limits.maxTotalBytes());
                TarArchiveInputStream tar = new TarArchiveInputStream(capped)) {
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
                    if (entry.getSize() > limits.maxEntryBytes()) {
                        throw new TlbException(String.format(Locale.ROOT,
                                "archive %s: entry '%s' is %,d bytes, over the limit of %,d bytes per file;"
                                        + " nothing was extracted", archive, entry.getName(), entry.getSize(),
                                limits.maxEntryBytes()));
                    }
                    Files.createDirectories(out.getParent());
                    try (OutputStream target = Files.newOutputStream(out)) {
                        tar.transferTo(target);
                    }
                }
            }
        } catch (IOException e) {
            throw new TlbException("archive " + archive + " is not a readable .tar.gz: " + e.getMessage());
        }
    }

    /** The decompressed stream, refused as soon as it passes {@code maxBytes}. */
    private static final class CappedInputStream extends FilterInputStream {
        private final Path archive;
        private final long maxBytes;
        private long count;

        CappedInputStream(InputStream in, Path archive, long maxBytes) {
            super(in);
            this.archive = archive;
            this.maxBytes = maxBytes;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                counted(n);
            }
            return n;
        }

        /** Through {@link #read(byte[], int, int)}, so that skipped entries count too. */
        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[8192];
            long left = n;
            while (left > 0) {
                int read = read(buffer, 0, (int) Math.min(buffer.length, left));
                if (read < 0) {
                    break;
                }
                left -= read;
            }
            return n - left;
        }

        private void counted(int n) {
            count += n;
            if (count > maxBytes) {
                throw new TlbException(String.format(Locale.ROOT,
                        "archive %s expands to more than %,d bytes, the limit for this archive; nothing was"
                                + " extracted", archive, maxBytes));
            }
        }
    }
}
